// podtap-pcaprewrite: deterministic rewrites of real captures (see tests/tools/README.md).

#include "rewriter.h"

#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace pcaprewrite;

namespace {

const char usage[]
        = "usage: podtap-pcaprewrite IN OUT [--seed N] [--shift-isn DELTA] [--wrap-isn BYTES]\n"
          "         [--split P] [--overlap P] [--drop-data P]\n"
          "         [--drop-to PORT [--drop-index I,J,…] [--drop-syn]] [--retransmit-later P]\n"
          "         [--later K] [--duplicate P] [--permute WINDOW [--pin-fin]] [--fix-checksums]\n"
          "         [--report FILE]\n"
          "       podtap-pcaprewrite IN OUT --truncate-file N\n"
          "Operations run in this order: shift/wrap, split, overlap, drop, retransmit-later,\n"
          "duplicate, permute, checksums. The JSON report goes to stdout unless --report.\n";

[[noreturn]] void fail(const std::string &msg)
{
    std::fprintf(stderr, "podtap-pcaprewrite: %s\n%s", msg.c_str(), usage);
    std::exit(2);
}

double probability(const std::string &opt, const char *v)
{
    char *end = nullptr;
    const double d = std::strtod(v, &end);
    if (*end != '\0' || d < 0 || d > 1)
        fail(opt + " needs a probability 0..1");
    return d;
}

std::uint64_t number(const std::string &opt, const char *v)
{
    char *end = nullptr;
    const unsigned long long n = std::strtoull(v, &end, 0);
    if (*end != '\0' || v[0] == '-')
        fail(opt + " needs a non-negative integer");
    return n;
}

// "3,7,12" → {3, 7, 12}
std::vector<std::uint64_t> numberList(const std::string &opt, const char *v)
{
    std::vector<std::uint64_t> out;
    std::string s(v);
    std::size_t pos = 0;
    while (pos <= s.size()) {
        const std::size_t comma = std::min(s.find(',', pos), s.size());
        const std::string item = s.substr(pos, comma - pos);
        if (item.empty())
            fail(opt + " needs a list of non-negative integers: 3,7,12");
        out.push_back(number(opt, item.c_str()));
        pos = comma + 1;
    }
    return out;
}

int truncateFile(const std::string &in, const std::string &out, std::uint64_t n)
{
    std::ifstream f(in, std::ios::binary);
    if (!f)
        fail("cannot read " + in);
    std::vector<char> buf(n);
    f.read(buf.data(), std::streamsize(n));
    std::ofstream o(out, std::ios::binary | std::ios::trunc);
    o.write(buf.data(), f.gcount());
    if (!o)
        fail("cannot write " + out);
    std::printf("{\"truncated_to\":%lld}\n", static_cast<long long>(f.gcount()));
    return 0;
}

bool nanoMagic(const std::string &path)
{
    std::ifstream f(path, std::ios::binary);
    unsigned char m[4] = {};
    f.read(reinterpret_cast<char *>(m), 4);
    return (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0x3c && m[3] == 0x4d)
           || (m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 && m[3] == 0xa1);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 3)
        fail("need IN and OUT");
    const std::string in = argv[1];
    const std::string out = argv[2];
    std::uint64_t seed = 1;
    std::string report;
    bool haveShift = false, haveWrap = false, fixSums = false, pinFin = false;
    std::uint32_t shift = 0, wrap = 0;
    double split = 0, overlap = 0, drop = 0, later = 0, dup = 0;
    std::size_t laterBy = 8, window = 0;
    std::uint16_t dropTo = 0;
    std::vector<std::uint64_t> dropIndex;
    bool dropSyn = false;
    for (int i = 3; i < argc; ++i) {
        const std::string a = argv[i];
        auto val = [&]() -> const char * {
            if (i + 1 >= argc)
                fail(a + " needs a value");
            return argv[++i];
        };
        if (a == "--truncate-file")
            return truncateFile(in, out, number(a, val()));
        else if (a == "--seed")
            seed = number(a, val());
        else if (a == "--shift-isn")
            haveShift = true, shift = std::uint32_t(number(a, val()));
        else if (a == "--wrap-isn")
            haveWrap = true, wrap = std::uint32_t(number(a, val()));
        else if (a == "--split")
            split = probability(a, val());
        else if (a == "--overlap")
            overlap = probability(a, val());
        else if (a == "--drop-data")
            drop = probability(a, val());
        else if (a == "--drop-to")
            dropTo = std::uint16_t(number(a, val()));
        else if (a == "--drop-index")
            dropIndex = numberList(a, val());
        else if (a == "--drop-syn")
            dropSyn = true;
        else if (a == "--retransmit-later")
            later = probability(a, val());
        else if (a == "--later")
            laterBy = number(a, val());
        else if (a == "--duplicate")
            dup = probability(a, val());
        else if (a == "--permute")
            window = number(a, val());
        else if (a == "--pin-fin")
            pinFin = true;
        else if (a == "--fix-checksums")
            fixSums = true;
        else if (a == "--report")
            report = val();
        else
            fail("unknown option " + a);
    }

    char err[PCAP_ERRBUF_SIZE] = {};
    const bool nano = nanoMagic(in);
    pcap_t *pin = pcap_open_offline_with_tstamp_precision(
            in.c_str(), nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO, err);
    if (!pin)
        fail(in + ": " + err);
    const int linkType = pcap_datalink(pin);
    const int snaplen = pcap_snapshot(pin);
    std::vector<Packet> packets;
    pcap_pkthdr *h = nullptr;
    const u_char *data = nullptr;
    int rc;
    while ((rc = pcap_next_ex(pin, &h, &data)) == 1) {
        Packet p;
        p.tsSec = h->ts.tv_sec;
        p.tsFrac = h->ts.tv_usec;
        p.origLen = h->len;
        p.data.assign(data, data + h->caplen);
        packets.push_back(std::move(p));
    }
    if (rc == PCAP_ERROR)
        std::fprintf(stderr, "podtap-pcaprewrite: %s: %s (kept %zu records)\n", in.c_str(),
                     pcap_geterr(pin), packets.size());
    pcap_close(pin);
    const std::size_t inputRecords = packets.size();

    Rewriter r(linkType, std::move(packets), seed);
    if (haveShift)
        r.shiftIsn(shift);
    if (haveWrap)
        r.wrapIsn(wrap);
    if (split > 0)
        r.split(split);
    if (overlap > 0)
        r.overlap(overlap);
    if ((dropTo == 0) != (dropIndex.empty() && !dropSyn))
        fail("--drop-to PORT goes with --drop-index LIST and/or --drop-syn");
    if (drop > 0)
        r.dropData(drop);
    if (dropTo != 0)
        r.dropChosen(dropTo, dropIndex, dropSyn);
    if (later > 0)
        r.retransmitLater(later, laterBy);
    if (dup > 0)
        r.duplicate(dup);
    if (window > 0)
        r.permute(window, pinFin);
    if (fixSums)
        r.fixChecksums();

    pcap_t *dead = pcap_open_dead_with_tstamp_precision(linkType, snaplen > 0 ? snaplen : 262144,
                                                        nano ? PCAP_TSTAMP_PRECISION_NANO
                                                             : PCAP_TSTAMP_PRECISION_MICRO);
    pcap_dumper_t *dumper = pcap_dump_open(dead, out.c_str());
    if (!dumper)
        fail(out + ": " + pcap_geterr(dead));
    for (const Packet &p : r.packets()) {
        pcap_pkthdr oh{};
        oh.ts.tv_sec = p.tsSec;
        oh.ts.tv_usec = p.tsFrac;
        oh.caplen = std::uint32_t(p.data.size());
        oh.len = std::max<std::uint32_t>(p.origLen, oh.caplen);
        pcap_dump(reinterpret_cast<u_char *>(dumper), &oh, p.data.data());
    }
    pcap_dump_close(dumper);
    pcap_close(dead);

    const std::string json = r.reportJson(inputRecords) + "\n";
    if (report.empty()) {
        std::fputs(json.c_str(), stdout);
    } else {
        std::ofstream f(report, std::ios::trunc);
        f << json;
        if (!f)
            fail("cannot write " + report);
    }
    return rc == PCAP_ERROR ? 1 : 0;
}
