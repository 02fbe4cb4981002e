#!/usr/bin/env python3
"""Writes the fuzzer's extra seeds into corpus/ (committed; re-run after changing it).

The malformed corpus (tests/common/malformed/corpus) is a seed directory of its own; these
add what it lacks: inputs with the 3-byte option prefix fuzz_capture.cpp understands
(chunk seed, option bits, split/filter byte) and reordered/duplicated/dropped records.
corpus/real-ipv6.pcap is a real capture on ::1 made with tcpdump.

corpus-http/ holds fuzz_http.cpp's seeds: an option byte, a seed byte, the client's bytes,
then "\xf0SRV" and the server's; "\xf0GAP" + L drops L+1 bytes as a gap, "\xf0BIG" + 4
bytes is a gap of that size.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.join(HERE, "..", "common", "malformed", "real-lo.pcap")


def records(d):
    out, off = [], 24
    while off < len(d):
        caplen = struct.unpack_from("<I", d, off + 8)[0]
        out.append(d[off:off + 16 + caplen])
        off += 16 + caplen
    return d[:24], out


def main():
    d = open(REAL, "rb").read()
    hdr, recs = records(d)
    small = hdr + b"".join(recs[:20])  # two connections keep seeds short
    for name, prefix in {
        "opt-split.bin": bytes([7, 0x01, 0x80]),
        "opt-filter.bin": bytes([9, 0x02, 0x01]),
        "opt-filter-error.bin": bytes([9, 0x02, 0x08]),
        "opt-tinycaps.bin": bytes([3, 0x04, 0x10]),
        "opt-all.bin": bytes([5, 0x1F, 0x60]),
    }.items():
        open(os.path.join(HERE, "corpus", name), "wb").write(prefix + small)
    # Reordered (data before the hole), duplicated (retransmission) and dropped records.
    ooo = recs[:3] + [recs[5], recs[3], recs[4]] + recs[6:20]
    open(os.path.join(HERE, "corpus", "ooo.pcap"), "wb").write(hdr + b"".join(ooo))
    dup = recs[:6] + [recs[3], recs[5]] + recs[6:20]
    open(os.path.join(HERE, "corpus", "dup.pcap"), "wb").write(hdr + b"".join(dup))
    drop = recs[:5] + recs[6:20]
    open(os.path.join(HERE, "corpus", "drop.pcap"), "wb").write(hdr + b"".join(drop))
    open(os.path.join(HERE, "corpus", "opt-tinycaps-ooo.bin"), "wb").write(
        bytes([1, 0x04, 0]) + hdr + b"".join(ooo))


# fuzz_http.cpp's option bits
SMALL, CLIENT_FIRST, SINK, NO_FINISH = 0x01, 0x02, 0x04, 0x08
SRV = b"\xf0SRV"


def gap(n):
    return b"\xf0GAP" + bytes([n - 1])


def big(n):
    return b"\xf0BIG" + struct.pack("<I", n)


def resp(status, body=b"", headers=b""):
    return (b"HTTP/1.1 %d X\r\n" % status + headers
            + b"Content-Length: %d\r\n\r\n" % len(body) + body)


def chunked(body, size=7, trailer=b""):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x;ext=1\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n" + trailer + b"\r\n"


def http_seeds():
    get = b"GET /users/%d?x=1 HTTP/1.1\r\nHost: a\r\nX-Tenant: blue\r\n\r\n"
    js = b'{"id": 7, "name": "ann", "tags": ["a", "b"], "address": {"zip": "1"}}'
    post = (b"POST /api/users/42 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(js) + js)
    jsonhdr = b"Content-Type: application/json\r\n"
    seeds = {
        "pipelined.bin": (0, get % 1 + get % 2 + get % 3,
                          resp(200, b"one") + resp(404, b"") + resp(200, b"three" * 20)),
        "keepalive-json.bin": (0, post + get % 7,
                               resp(201, js, jsonhdr) + resp(200, js.replace(b"7", b"8"),
                                                             jsonhdr)),
        "chunked-trailers.bin": (
            0,
            b"POST /api/upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunked(b"hello chunked world", 5, b"X-Sum: 1\r\n"),
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n" + jsonhdr + b"\r\n"
            + chunked(js, 9, b"Trailer-A: x\r\nTrailer-B: y\r\n")),
        "head.bin": (0, b"HEAD /big HTTP/1.1\r\n\r\n" + get % 5,
                     b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + resp(200, b"ok")),
        "interim.bin": (
            0,
            b"POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n"
            + resp(200, b"done")),
        "connect.bin": (0, b"CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n\x16\x03\x01\x00\x05hello",
                        b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03\x00\x02hi"),
        "upgrade-101.bin": (
            0, b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x85abcd",
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"),
        "no-body-statuses.bin": (0, get % 1 + get % 2 + get % 3,
                                 b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\n"
                                 b"Content-Length: 50\r\n\r\nHTTP/1.0 200 OK\r\n\r\nuntil close"),
        "gap-in-body.bin": (0, post[:-20] + gap(10) + post[-20:] + get % 9,
                            resp(200, b"a" * 300)[:100] + gap(100) + resp(200, b"a" * 300)[100:]
                            + resp(200, b"b")),
        "gap-in-chunk.bin": (0, get % 1 + get % 2,
                             b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n"
                             + b"c" * 10 + gap(20) + b"c" * 54 + b"\r\n0\r\n\r\n" + resp(200, b"x")),
        "gap-in-head.bin": (0, b"GET /a HTTP/1.1\r\nHo" + gap(5) + b"st: a\r\n\r\n" + get % 2,
                            resp(200, b"x") + resp(200, b"y")),
        "gap-huge.bin": (0, get % 1, b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\nab"
                         + big(0xfffffff0) + b"cd" + big(7)),
        "gap-first.bin": (0, gap(3) + get % 1, resp(200, b"x")),
        "truncated.bin": (0, post[:-5], resp(200, b"x" * 50)[:-10]),
        "garbage.bin": (0, bytes(range(256)) * 2, b"\x00\x01binary"),
        "almost-http.bin": (0, b"GET / HTTP/2.0\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\n"),
        "malformed-chunk.bin": (0, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
                                resp(400)),
        "conflicting-length.bin": (0, b"POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\nabcd",
                                   resp(400)),
        "obs-fold.bin": (0, b"GET / HTTP/1.1\r\nX-A: one\r\n  two\r\n\r\n\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
                         resp(200, b"1") + resp(200, b"2")),
        "big-headers-small-limits.bin": (SMALL, b"GET /h HTTP/1.1\r\n" + b"".join(
            b"X-H%d: %s\r\n" % (i, b"v" * 30) for i in range(10)) + b"\r\n",
                                         resp(200, b"q" * 40, jsonhdr)),
        "through-sink.bin": (SINK, post + get % 3, resp(200, js, jsonhdr) + resp(200, b"z")),
        "sink-not-http.bin": (SINK | CLIENT_FIRST, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc", b"\x16\x03\x03"),
        "no-finish.bin": (NO_FINISH, get % 1 + post[:40], resp(200, b"x" * 30)[:30]),
        "one-way-pipeline.bin": (0, b"GET / HTTP/1.1\r\n\r\n" * 300, b""),
        "client-first.bin": (CLIENT_FIRST, b"\r\n" + get % 1 + b"HEAD / HTTP/1.0\r\n\r\n",
                             resp(200, b"abc") + resp(200, b"abc")),
    }
    out = os.path.join(HERE, "corpus-http")
    os.makedirs(out, exist_ok=True)
    for i, (name, (opts, client, server)) in enumerate(sorted(seeds.items())):
        open(os.path.join(out, name), "wb").write(bytes([opts, i]) + client + SRV + server)


if __name__ == "__main__":
    main()
    http_seeds()
