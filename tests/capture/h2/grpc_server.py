"""gRPC server for tst_http2decoding: greeter_pb2 stubs in sys.argv[1], port sys.argv[2].

With sys.argv[3] == "local" it answers as a local build that differs on purpose (for
GrpcShadowSession): SayHello("podtap") has detail.serial 4243, Fail answers OK.
PODTAP_GREETER_VARIANT=hi (tst_http2replay): SayHello answers "hi NAME", the other methods
answer as usual."""
import os
import sys
from concurrent import futures

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
import greeter_pb2  # noqa: E402
import greeter_pb2_grpc  # noqa: E402


LOCAL = len(sys.argv) > 3 and sys.argv[3] == "local"


class Greeter(greeter_pb2_grpc.GreeterServicer):
    def SayHello(self, request, context):
        serial = 4243 if LOCAL and request.name == "podtap" else 4242
        greeting = "hi " if os.environ.get("PODTAP_GREETER_VARIANT") == "hi" else "hello "
        return greeter_pb2.HelloReply(message=greeting + request.name,
                                      detail=greeter_pb2.Detail(serial=serial, note="unary"))

    def CountUp(self, request, context):
        for i in range(request.count):
            yield greeter_pb2.HelloReply(message="count %d" % (i + 1),
                                         detail=greeter_pb2.Detail(serial=1000 + i))

    def Fail(self, request, context):
        if LOCAL:
            return greeter_pb2.HelloReply(message="found " + request.name)
        context.abort(grpc.StatusCode.NOT_FOUND, "no such greeter: " + request.name)


server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
greeter_pb2_grpc.add_GreeterServicer_to_server(Greeter(), server)
server.add_insecure_port("0.0.0.0:" + sys.argv[2])
server.start()
print("grpc server ready", flush=True)
server.wait_for_termination()
