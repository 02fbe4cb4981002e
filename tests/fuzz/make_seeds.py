#!/usr/bin/env python3
"""Writes the fuzzer's extra seeds into corpus/ (committed; re-run after changing it).

The malformed corpus (tests/common/malformed/corpus) is a seed directory of its own; these
add what it lacks: inputs with the 3-byte option prefix fuzz_capture.cpp understands
(chunk seed, option bits, split/filter byte) and reordered/duplicated/dropped records.
corpus/real-ipv6.pcap is a real capture on ::1 made with tcpdump.
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


if __name__ == "__main__":
    main()
