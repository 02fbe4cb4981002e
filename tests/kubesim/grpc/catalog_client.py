"""tst_grpcshadow's client: argv target (host:port), unary calls, streaming calls.

One channel (one HTTP/2 connection) per --connections: GetItem and GetStock alternate for
--unary calls, ListItems (--stream-items replies each) for --streaming calls, and
--client-streaming SumPrices calls of 3 requests. Prints one JSON object: calls per method
and what the streaming calls returned."""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import catalogstubs  # noqa: E402

pb, pb_grpc = catalogstubs.load()
import grpc  # noqa: E402

args = argparse.ArgumentParser()
args.add_argument("target")
args.add_argument("--unary", type=int, default=10)
args.add_argument("--streaming", type=int, default=4)
args.add_argument("--stream-items", type=int, default=3)
args.add_argument("--client-streaming", type=int, default=2)
args.add_argument("--connections", type=int, default=1)
# Two rounds on each connection with a pause between: "pause" is printed after the first
# round, the second begins when a line arrives on stdin (a connection open before a tap).
args.add_argument("--pause", action="store_true")
opts = args.parse_args()

calls = {"GetItem": 0, "GetStock": 0, "ListItems": 0, "SumPrices": 0}
replies = 0


def round_of_calls(stub, c):
    global replies
    for i in range(opts.unary):
        if i % 2 == 0:
            stub.GetItem(pb.ItemRequest(id=100 * c + i), timeout=20)
            calls["GetItem"] += 1
        else:
            stub.GetStock(pb.ItemRequest(id=100 * c + i), timeout=20)
            calls["GetStock"] += 1
    for i in range(opts.streaming):
        for _ in stub.ListItems(pb.ItemRequest(id=i, count=opts.stream_items), timeout=20):
            replies += 1
        calls["ListItems"] += 1
    for i in range(opts.client_streaming):
        stub.SumPrices(iter([pb.ItemRequest(id=i + k) for k in range(3)]), timeout=20)
        calls["SumPrices"] += 1


for c in range(opts.connections):
    with grpc.insecure_channel(opts.target) as channel:
        stub = pb_grpc.CatalogStub(channel)
        round_of_calls(stub, c)
        if opts.pause:
            print("pause", flush=True)
            sys.stdin.readline()
            round_of_calls(stub, c)
print(json.dumps({"calls": calls, "streamReplies": replies}), flush=True)
