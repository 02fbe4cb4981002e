"""kubesim's `grpc` workload: the Catalog service (catalog.proto) on --port.

--variant prod (the pod) or local (the local build of tst_grpcshadow): the same answers except
GetItem's price_cents, one cent lower in `local`. --log FILE gets one JSON line per call
({"method", "variant"}) as it is answered. Port 0 picks a free one; the port is printed
("listening PORT") once the server serves."""
import argparse
import json
import os
import sys
import threading
from concurrent import futures

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalogstubs  # noqa: E402

pb, pb_grpc = catalogstubs.load()
import grpc  # noqa: E402

args = argparse.ArgumentParser()
args.add_argument("--port", type=int, required=True)
args.add_argument("--variant", choices=["prod", "local"], default="prod")
args.add_argument("--log")
opts = args.parse_args()

lock = threading.Lock()
log = open(opts.log, "a", buffering=1) if opts.log else None


def logged(method):
    if log:
        with lock:
            log.write(json.dumps({"method": method, "variant": opts.variant}) + "\n")


def item(i, planted=False):
    price = i * 100 + 99
    if planted and opts.variant == "local":
        price -= 1  # the planted difference
    return pb.Item(id=i, name="item-%d" % i, price_cents=price, tags=["t%d" % (i % 3), "shop"])


class Catalog(pb_grpc.CatalogServicer):
    def GetItem(self, request, context):
        logged("GetItem")
        return item(request.id, planted=True)

    def GetStock(self, request, context):
        logged("GetStock")
        return item(request.id)

    def ListItems(self, request, context):
        logged("ListItems")
        for i in range(request.count):
            yield item(request.id + i)

    def SumPrices(self, request_iterator, context):
        n = total = 0
        for r in request_iterator:
            n += 1
            total += item(r.id).price_cents
        logged("SumPrices")
        return pb.Total(items=n, sum_cents=total)


server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
pb_grpc.add_CatalogServicer_to_server(Catalog(), server)
port = server.add_insecure_port("[::]:%d" % opts.port)
if port == 0:
    sys.exit("cannot listen on port %d" % opts.port)
server.start()
print("listening %d" % port, flush=True)
server.wait_for_termination()
