#!/usr/bin/env python3
"""Generates the malformed-capture corpus (corpus/*.pcap*, corpus/MANIFEST).

Deterministic; the output is committed, so the test suite never runs this. Re-run it
after changing a case:  python3 tests/common/malformed/gen_corpus.py

Inputs: real-lo.pcap / real-lo.pcapng / real-any.pcap, a real loopback capture of four
sequential connections (capture_real.py), and real-expected.json, the SHA-256 of what
each sender wrote.

MANIFEST, one case per line, tab-separated:
    file  expect  offset  keep  description
expect:  stream       the stream is damaged: exit 2, an error naming a byte offset
         packet:NAME  a packet is damaged: exit 0, stats.NAME >= 1
         ok           exit 0, no errors
offset:  byte offset the error must name, or - when not pinned
keep:    how many of the real connections (in order) must be reported with the senders'
         byte counts and hashes, i.e. everything before the damage
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")

cases = []


def emit(name, data, expect, offset="-", keep=0, desc=""):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    cases.append((name, expect, str(offset), str(keep), desc))


# ---------------------------------------------------------------- classic pcap helpers

def read_pcap(path):
    d = open(path, "rb").read()
    assert d[:4] == b"\xd4\xc3\xb2\xa1", "expects a little-endian µs pcap"
    header = d[:24]
    recs = []
    off = 24
    while off < len(d):
        ts_s, ts_us, caplen, length = struct.unpack_from("<IIII", d, off)
        recs.append((ts_s, ts_us, length, d[off + 16: off + 16 + caplen]))
        off += 16 + caplen
    return header, recs


def global_header(linktype=1, snaplen=262144, major=2, minor=4, magic=0xA1B2C3D4, endian="<"):
    return struct.pack(endian + "IHHiIII", magic, major, minor, 0, 0, snaplen, linktype)


def record(ts_s, ts_frac, data, length=None, caplen=None, endian="<"):
    return struct.pack(endian + "IIII", ts_s, ts_frac, len(data) if caplen is None else caplen,
                       len(data) if length is None else length) + data


def pcap(recs, **kw):
    endian = kw.get("endian", "<")
    out = global_header(**kw)
    for ts_s, ts_us, length, data in recs:
        out += record(ts_s, ts_us, data, length, endian=endian)
    return out


def record_offsets(recs):
    offs, off = [], 24
    for r in recs:
        offs.append(off)
        off += 16 + len(r[3])
    return offs


# ---------------------------------------------------------------- packet builders

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_header(sport=40000, dport=8080, seq=1000, ack=0, flags=0x18, doff=5, options=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, 65535, 0, 0) + options


def ipv4(payload, proto=6, src=b"\xc6\x12\x00\x02", dst=b"\xc6\x12\x00\x01", ihl=5, total=None,
         frag=0x4000, options=b""):
    total = 20 + len(options) + len(payload) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 1, frag, 64, proto, 0, src, dst) + options
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(payload, next_header=6, plen=None):
    plen = len(payload) if plen is None else plen
    src = bytes.fromhex("fd000000000000000000000000000002")
    dst = bytes.fromhex("fd000000000000000000000000000001")
    return struct.pack("!IHBB", 0x60000000, plen, next_header, 64) + src + dst + payload


def eth(payload, ethertype=0x0800, vlans=0):
    h = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"
    for _ in range(vlans):
        h += struct.pack("!HH", 0x8100, 5)
    return h + struct.pack("!H", ethertype) + payload


DATA = b"GET / HTTP/1.1\r\nHost: podtap\r\n\r\n"


def good_tcp(**kw):
    return tcp_header(**kw) + DATA


# ---------------------------------------------------------------- pcapng helpers

def read_pcapng(path):
    d = open(path, "rb").read()
    blocks, off = [], 0
    while off < len(d):
        t, l = struct.unpack_from("<II", d, off)
        blocks.append(d[off: off + l])
        off += l
    return blocks


def block(btype, body):
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))

    real_path = os.path.join(HERE, "real-lo.pcap")
    real = open(real_path, "rb").read()
    hdr, recs = read_pcap(real_path)
    offs = record_offsets(recs)
    n_conn = 4
    conn1 = recs[:10]  # the first connection alone: a small valid base for appended damage
    base = pcap(conn1)
    last_ts = conn1[-1][0], conn1[-1][1]

    def append(data, length=None, caplen=None):
        return base + record(last_ts[0], last_ts[1] + 1, data, length, caplen)

    # Real captures as they are, in every encoding libpcap reads.
    emit("real-lo.pcap", real, "ok", keep=n_conn, desc="real loopback capture, EN10MB")
    emit("real-any.pcap", open(os.path.join(HERE, "real-any.pcap"), "rb").read(), "ok",
         keep=n_conn, desc="real capture with -i any, LINUX_SLL2")
    emit("real-lo.pcapng", open(os.path.join(HERE, "real-lo.pcapng"), "rb").read(), "ok",
         keep=n_conn, desc="real capture converted to pcapng by editcap")
    emit("real-be.pcap", pcap(recs, endian=">", magic=0xA1B2C3D4), "ok", keep=n_conn,
         desc="real capture rewritten big-endian")
    emit("real-ns.pcap", pcap([(s, us * 1000, l, d) for s, us, l, d in recs], magic=0xA1B23C4D),
         "ok", keep=n_conn, desc="real capture rewritten with nanosecond timestamps")

    # ---- stream-level damage: global header
    for k in range(24):
        emit(f"hdr-trunc-{k:02d}.pcap", real[:k], "stream", 0, 0,
             f"global header cut after {k} bytes")
    emit("hdr-only.pcap", real[:24], "ok", desc="a global header and no packets")
    emit("bad-magic.pcap", b"\xef\xbe\xad\xde" + real[4:], "stream", 0, 0, "unknown magic")
    emit("text-file.pcap", b"this is not a capture file at all\n" * 4, "stream", 0, 0,
         "a text file")
    for major, minor in ((1, 0), (3, 0), (2, 5), (0, 0)):
        emit(f"version-{major}.{minor}.pcap", global_header(major=major, minor=minor) + real[24:],
             "stream", 0, 0, f"unsupported pcap version {major}.{minor}")
    emit("linktype-unknown.pcap", global_header(linktype=9999) + real[24:],
         "packet:unsupported_link_packets", desc="link type 9999: records read, not decoded")
    # libpcap 1.10 accepts it and reports link type 0x03FF0001: not decoded, counted.
    emit("linktype-reserved-bits.pcap", global_header(linktype=0x03FF0001) + real[24:],
         "packet:unsupported_link_packets", desc="reserved bits set in the link-type field")

    # ---- stream-level damage: records, in the middle of the third connection (record 27)
    r = 27
    cut = offs[r]
    emit("rec-hdr-trunc.pcap", real[:cut + 7], "stream", cut, 2,
         "cut inside the record header of record 27 (3rd connection)")
    emit("rec-body-trunc.pcap", real[:cut + 16 + 10], "stream", cut, 2,
         "cut inside the body of record 27 (3rd connection)")
    emit("cut-at-record.pcap", real[:cut], "ok", keep=2,
         desc="cut exactly between records, inside the 3rd connection")

    def with_caplen(value):
        return real[:cut + 8] + struct.pack("<I", value) + real[cut + 12:]

    emit("caplen-262145.pcap", with_caplen(262145), "stream", cut, 2,
         "record 27 claims caplen 262145, above libpcap's maximum")
    emit("caplen-ffffffff.pcap", with_caplen(0xFFFFFFFF), "stream", cut, 2,
         "record 27 claims caplen 0xFFFFFFFF")
    emit("caplen-grows.pcap", with_caplen(len(recs[r][3]) + 100), "stream", "-", 2,
         "record 27's caplen 100 bytes too long: later records misframed")

    # The first packet alone, then cut (tcpdump's TESTLIST has this class).
    emit("first-packet-only.pcap", real[:offs[1]], "ok", desc="a file cut right after packet 1")
    emit("first-packet-then-trunc.pcap", real[:offs[1] + 20], "stream", offs[1], 0,
         "a file cut 20 bytes into packet 2")

    # caplen vs snaplen: libpcap clamps caplen above the file's snaplen (below 262144).
    small = recs[5]  # the 1200-byte response of connection 1
    snap = 200
    emit("caplen-snaplen-plus-1.pcap",
         global_header(snaplen=snap) + record(1, 0, small[3][:snap + 1], length=small[2]),
         "packet:tcp_packets", desc="caplen = snaplen + 1: libpcap clamps it to snaplen")
    emit("caplen-zero.pcap", base + record(last_ts[0], last_ts[1] + 1, b"", length=60),
         "packet:truncated_packets", keep=1, desc="a record with caplen 0")
    emit("caplen-over-len.pcap", append(eth(ipv4(good_tcp())), length=40),
         "packet:malformed_packets", keep=1, desc="caplen 86 > len 40")

    # ---- packet-level damage appended to a good first connection
    emit("eth-trunc.pcap", append(b"\x02\x00\x00\x00\x00\x01\x02\x00"),
         "packet:truncated_packets", keep=1, desc="8-byte Ethernet frame")
    emit("vlan-5-tags.pcap", append(eth(ipv4(good_tcp()), vlans=5)), "packet:malformed_packets",
         keep=1, desc="five stacked 802.1Q tags")
    emit("ipv4-ihl-4.pcap", append(eth(ipv4(good_tcp(), ihl=4))), "packet:malformed_packets",
         keep=1, desc="IPv4 IHL 4 (< 5)")
    emit("ipv4-ihl-0.pcap", append(eth(ipv4(good_tcp(), ihl=0))), "packet:malformed_packets",
         keep=1, desc="IPv4 IHL 0")
    emit("ipv4-ihl-15-trunc.pcap", append(eth(ipv4(b"", ihl=15))[:14 + 30]),
         "packet:truncated_packets", keep=1, desc="IPv4 IHL 15, options cut by caplen")
    emit("ipv4-total-lt-ihl.pcap", append(eth(ipv4(good_tcp(), total=12))),
         "packet:malformed_packets", keep=1, desc="IPv4 total length 12 < header length")
    emit("ipv4-hdr-trunc.pcap", append(eth(ipv4(good_tcp()))[:14 + 11]),
         "packet:truncated_packets", keep=1, desc="IPv4 header cut at 11 bytes")
    emit("ipv4-fragment.pcap", append(eth(ipv4(good_tcp(), frag=0x2000))), "packet:fragments",
         keep=1, desc="IPv4 first fragment (MF set)")
    emit("tcp-doff-4.pcap", append(eth(ipv4(tcp_header(doff=4) + DATA))),
         "packet:malformed_packets", keep=1, desc="TCP data offset 4 (< 5)")
    emit("tcp-doff-0.pcap", append(eth(ipv4(tcp_header(doff=0) + DATA))),
         "packet:malformed_packets", keep=1, desc="TCP data offset 0")
    emit("tcp-doff-beyond-caplen.pcap",
         append(eth(ipv4(tcp_header(doff=15) + b"\x01" * 40 + DATA))[:14 + 20 + 30],
                length=14 + 20 + 60 + len(DATA)),
         "packet:truncated_packets", keep=1, desc="TCP header of 60 bytes, caplen ends at 30")
    emit("tcp-doff-beyond-ip.pcap", append(eth(ipv4(tcp_header(doff=15)))),
         "packet:malformed_packets", keep=1,
         desc="TCP data offset 15 in a 20-byte IP payload")
    emit("tcp-hdr-trunc.pcap", append(eth(ipv4(tcp_header()))[:14 + 20 + 9]),
         "packet:truncated_packets", keep=1, desc="TCP header cut at 9 bytes")
    emit("tcp-bad-options.pcap",
         append(eth(ipv4(tcp_header(doff=8, options=b"\x02\x00\x05\xb4\x08\x20\x00\x00\x00\x00\x00\x00")
                         + DATA))),
         "ok", keep=1, desc="TCP option lengths 0 and 32 inside a 12-byte option area")

    hbh = lambda nxt, extra=0: bytes([nxt, extra]) + b"\x01\x04\x00\x00\x00\x00" + b"\0" * (8 * extra)
    chain = b"".join(hbh(0) for _ in range(40)) + hbh(6)
    emit("ipv6-ext-loop.pcap", append(eth(ipv6(chain + good_tcp(), next_header=0), 0x86DD)),
         "packet:malformed_packets", keep=1, desc="41 chained hop-by-hop headers")
    routing = bytes([43, 0]) + b"\0" * 6
    emit("ipv6-ext-routing-loop.pcap",
         append(eth(ipv6(routing * 300, next_header=43), 0x86DD)), "packet:malformed_packets",
         keep=1, desc="300 routing headers each pointing at the next")
    emit("ipv6-ext-beyond-end.pcap", append(eth(ipv6(hbh(6, 255) [:16], next_header=0), 0x86DD)),
         "packet:malformed_packets", keep=1, desc="hop-by-hop length 2048 in a 16-byte payload")
    emit("ipv6-ext-trunc.pcap",
         append(eth(ipv6(hbh(6) + good_tcp(), next_header=0), 0x86DD)[:14 + 40 + 1],
                length=14 + 40 + 8 + 20 + len(DATA)),
         "packet:truncated_packets", keep=1, desc="IPv6 extension header cut by caplen")
    emit("ipv6-plen-short.pcap",
         append(eth(ipv6(good_tcp(), plen=10), 0x86DD)), "packet:truncated_packets", keep=1,
         desc="IPv6 payload length 10 < TCP header")
    emit("ipv6-hdr-trunc.pcap", append(eth(ipv6(good_tcp()), 0x86DD)[:14 + 39]),
         "packet:truncated_packets", keep=1, desc="IPv6 header cut at 39 bytes")
    emit("ipv6-fragment.pcap",
         append(eth(ipv6(bytes([6, 0, 0, 8, 0, 0, 0, 1]) + good_tcp(), next_header=44), 0x86DD)),
         "packet:fragments", keep=1, desc="IPv6 fragment header, offset 1")
    emit("sll2-trunc.pcap",
         global_header(linktype=276) + record(1, 0, b"\x08\x00\x00\x00\x00\x00\x00\x01\x03\x04"),
         "packet:truncated_packets", desc="a 10-byte LINUX_SLL2 header")
    emit("sll-trunc.pcap", global_header(linktype=113) + record(1, 0, b"\x00\x00\x03\x04"),
         "packet:truncated_packets", desc="a 4-byte LINUX_SLL header")
    emit("null-trunc.pcap", global_header(linktype=0) + record(1, 0, b"\x02\x00"),
         "packet:truncated_packets", desc="a 2-byte DLT_NULL header")
    emit("raw-empty-ip.pcap", global_header(linktype=101) + record(1, 0, b"\x45"),
         "packet:truncated_packets", desc="LINKTYPE_RAW, a single IPv4 byte")

    # ---- pcapng: parse real-lo.pcapng into blocks (SHB, IDB, EPB...)
    blocks = read_pcapng(os.path.join(HERE, "real-lo.pcapng"))
    assert struct.unpack_from("<I", blocks[0])[0] == 0x0A0D0D0A
    assert struct.unpack_from("<I", blocks[1])[0] == 1
    ng = b"".join(blocks)
    opening = len(blocks[0]) + len(blocks[1])
    for k in sorted(set(list(range(0, 28)) + list(range(28, opening, 7)) + [opening - 1])):
        emit(f"ng-trunc-{k:03d}.pcapng", ng[:k], "stream", 0, 0,
             f"pcapng cut after {k} bytes, inside the SHB/IDB")
    emit("ng-opening-only.pcapng", ng[:opening], "ok", desc="SHB and IDB, no packets")
    ng_offs, o = [], 0
    for b in blocks:
        ng_offs.append(o)
        o += len(b)
    bi = 2 + 27  # the EPB of record 27
    at = ng_offs[bi]

    def with_block_len(value, trailer=None):
        b = bytearray(blocks[bi])
        struct.pack_into("<I", b, 4, value)
        if trailer is not None:
            struct.pack_into("<I", b, len(b) - 4, trailer)
        return ng[:at] + bytes(b) + ng[at + len(blocks[bi]):]

    emit("ng-blocklen-0.pcapng", with_block_len(0), "stream", at, 2, "EPB with block length 0")
    emit("ng-blocklen-8.pcapng", with_block_len(8), "stream", at, 2, "EPB with block length 8")
    emit("ng-blocklen-odd.pcapng", with_block_len(len(blocks[bi]) + 2), "stream", at, 2,
         "EPB length not a multiple of 4")
    emit("ng-blocklen-17m.pcapng", with_block_len(17 * 1024 * 1024), "stream", at, 2,
         "EPB length 17 MiB (> 16 MiB)")
    emit("ng-blocklen-ffffffff.pcapng", with_block_len(0xFFFFFFFC), "stream", at, 2,
         "EPB length 0xFFFFFFFC")
    emit("ng-trailer-mismatch.pcapng", with_block_len(len(blocks[bi]), len(blocks[bi]) + 4),
         "stream", at, 2, "EPB header and trailer lengths differ")
    emit("ng-block-trunc.pcapng", ng[:at + 40], "stream", at, 2, "cut inside the EPB of record 27")
    emit("ng-cut-at-block.pcapng", ng[:at], "ok", keep=2, desc="cut between blocks")
    emit("ng-epb-before-idb.pcapng", blocks[0] + blocks[2] + blocks[1] + b"".join(blocks[3:]),
         "stream", 0, 0, "a packet block before any interface block")
    epb = bytearray(blocks[bi])
    struct.pack_into("<I", epb, 8, 7)  # interface id 7: only 0 exists
    emit("ng-bad-interface.pcapng", ng[:at] + bytes(epb) + ng[at + len(blocks[bi]):], "stream",
         at, 2, "EPB naming interface 7 of 1")
    epb = bytearray(blocks[bi])
    struct.pack_into("<I", epb, 20, 0x7FFFFFF0)  # captured length far beyond the block
    emit("ng-epb-caplen-huge.pcapng", ng[:at] + bytes(epb) + ng[at + len(blocks[bi]):], "stream",
         at, 2, "EPB captured length beyond its block")
    # A new section in the middle of the file: legal, the engine keeps going.
    emit("ng-two-sections.pcapng", ng + ng, "ok", keep=n_conn, desc="the capture twice, two SHBs")
    unknown = block(0x0BAD, b"\x01\x02\x03\x04" * 3)
    emit("ng-unknown-block.pcapng", ng[:at] + unknown + ng[at:], "ok", keep=n_conn,
         desc="an unknown block type between packets is skipped")
    shb_be = bytearray(blocks[0])
    emit("ng-shb-bad-bom.pcapng", bytes(shb_be[:8]) + b"\x11\x22\x33\x44" + bytes(shb_be[12:])
         + b"".join(blocks[1:]), "stream", 0, 0, "SHB with an unknown byte-order magic")
    shb_v2 = bytearray(blocks[0])
    struct.pack_into("<H", shb_v2, 12, 2)
    emit("ng-shb-version-2.pcapng", bytes(shb_v2) + b"".join(blocks[1:]), "stream", 0, 0,
         "SHB major version 2")
    idb = bytearray(blocks[1])
    struct.pack_into("<H", idb, 8, 9999)
    emit("ng-idb-linktype-unknown.pcapng", blocks[0] + bytes(idb) + b"".join(blocks[2:12]),
         "packet:unsupported_link_packets", desc="IDB link type 9999")

    with open(os.path.join(OUT, "MANIFEST"), "w") as f:
        f.write("# file\texpect\toffset\tkeep\tdescription (generated by ../gen_corpus.py)\n")
        for c in cases:
            f.write("\t".join(c) + "\n")
    print(f"{len(cases)} cases, {sum(os.path.getsize(os.path.join(OUT, c[0])) for c in cases)} bytes")


if __name__ == "__main__":
    main()
