"""gRPC client for tst_http2decoding: stubs in argv[1], target argv[2] (host:port).

One channel (one HTTP/2 connection): a unary call, a gzip-compressed unary call, a
server-streaming call of 3 replies, and a call that fails with NOT_FOUND."""
import sys

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
import greeter_pb2  # noqa: E402
import greeter_pb2_grpc  # noqa: E402

with grpc.insecure_channel(sys.argv[2]) as channel:
    stub = greeter_pb2_grpc.GreeterStub(channel)
    r = stub.SayHello(greeter_pb2.HelloRequest(name="podtap"), timeout=20)
    print("unary:", r.message, flush=True)
    r = stub.SayHello(greeter_pb2.HelloRequest(name="zipped" * 20), timeout=20,
                      compression=grpc.Compression.Gzip)
    print("gzip:", len(r.message), flush=True)
    n = 0
    for reply in stub.CountUp(greeter_pb2.HelloRequest(name="s", count=3), timeout=20):
        n += 1
    print("stream:", n, flush=True)
    try:
        stub.Fail(greeter_pb2.HelloRequest(name="ghost"), timeout=20)
    except grpc.RpcError as e:
        print("fail:", e.code(), flush=True)
