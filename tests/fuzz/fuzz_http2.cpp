// libFuzzer target: both directions of one HTTP/2 connection through Http2Connection (or
// HttpSink with HTTP/2 decoding on, over a fake connection), with gaps, in random
// interleavings and pieces; every exchange's gRPC call and protobuf wire view are rendered.
//
// Input layout (as fuzz_http): byte 0 holds option bits, byte 1 seeds the piece sizes and the
// interleaving; the rest is the client script, then (after "\xf0SRV") the server script. In a
// script, "\xf0GAP" + L drops the next L+1 bytes and reports a gap. Option Preface puts the
// connection preface before the client script, so mutations work on frames, not on it.
//
// The checks are the decoder's promises: kept bodies and heads within the limits, a whole
// body's hash is the hash of its kept bytes, one exchange per stream id at most, a stopped
// or NotHttp2 connection never produces an exchange again and says why it stopped.

#include "http/httpparser.h"
#include "http/httpsink.h"
#include "http2/grpccall.h"
#include "http2/http2connection.h"
#include "http2/protobufwireview.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <vector>

using namespace podtap;

namespace {

[[noreturn]] void broken(const char *what)
{
    std::fprintf(stderr, "fuzz_http2: the HTTP/2 decoder broke a promise: %s\n", what);
    std::abort();
}

void check(bool ok, const char *what)
{
    if (!ok)
        broken(what);
}

enum Option : std::uint8_t {
    SmallLimits = 0x01,
    ClientFirst = 0x02,
    ThroughSink = 0x04,
    NoFinish = 0x08,
    Preface = 0x10,
    Midstream = 0x20,
};

struct Step
{
    const std::uint8_t *data = nullptr;
    std::size_t size = 0;
    std::uint64_t gap = 0;
};

std::vector<Step> script(const std::uint8_t *p, std::size_t n)
{
    static constexpr std::uint8_t Gap[] = {0xf0, 'G', 'A', 'P'};
    std::vector<Step> steps;
    std::size_t start = 0, i = 0;
    auto flush = [&](std::size_t end) {
        if (end > start)
            steps.push_back({p + start, end - start, 0});
    };
    while (i + 4 < n) {
        if (std::memcmp(p + i, Gap, 4) == 0) {
            flush(i);
            const std::size_t drop = std::size_t(p[i + 4]) + 1;
            steps.push_back({nullptr, 0, drop});
            i = std::min(n, i + 5 + drop);
            start = i;
        } else {
            ++i;
        }
    }
    flush(n);
    return steps;
}

struct Checker
{
    const HttpParser::Limits &limits;
    bool viaSink = false;
    std::set<std::uint32_t> streams;
    std::size_t count = 0;
    std::size_t http1 = 0;

    void message(const HttpMessage &m)
    {
        check(std::size_t(m.body.size()) <= limits.keepBodyBytes, "kept body over the limit");
        check(m.bodyBytes >= std::uint64_t(m.body.size()), "bodyBytes below the kept body");
        check(m.headers.size() <= limits.maxHeaders, "more headers than the limit");
        check(std::size_t(m.rawHead.size()) <= limits.maxHeadBytes + 64 * 1024,
              "head far over the limit");
        if (m.bodyKeptWhole && m.isComplete())
            check(m.bodyHash == HttpParser::hashBody(m.body), "whole body hash differs");
        for (const auto &h : m.headers)
            check(h.name.data() >= m.rawHead.constData()
                          && h.value.data() + h.value.size()
                                     <= m.rawHead.constData() + m.rawHead.size(),
                  "a header view outside rawHead");
    }
    void take(HttpExchange &&x)
    {
        ++count;
        if (x.protocol == HttpExchange::Protocol::Http1) {
            // Through the sink an HTTP/1.x connection is HTTP/1's (fuzz_http checks those)
            check(viaSink, "Http2Connection produced an HTTP/1 exchange");
            ++http1;
            return;
        }
        check(x.streamId != 0, "an exchange on stream 0");
        check(streams.insert(x.streamId).second, "two exchanges for one stream");
        message(x.request);
        if (x.hasResponse)
            message(x.response);
        if (x.grpc) {
            (void)x.grpc->toJson();
            for (const auto &m : x.grpc->requests)
                check(m.whole || m.data.isEmpty(), "a message not whole but with data");
        }
        (void)x.toJson();
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 2)
        return 0;
    const std::uint8_t options = data[0];
    std::minstd_rand rng(data[1] + 1u);
    data += 2;
    size -= 2;

    static constexpr std::uint8_t Server[] = {0xf0, 'S', 'R', 'V'};
    const std::uint8_t *split
            = size >= 4
                      ? static_cast<const std::uint8_t *>(memmem(data, size, Server, sizeof Server))
                      : nullptr;
    const std::size_t clientSize = split ? std::size_t(split - data) : size;
    std::vector<Step> steps[2]
            = {script(data, clientSize),
               split ? script(split + 4, size - clientSize - 4) : std::vector<Step>{}};
    if (options & Preface) {
        static const auto *p
                = reinterpret_cast<const std::uint8_t *>(Http2Connection::Preface.data());
        steps[0].insert(steps[0].begin(), Step{p, std::size_t(Http2Connection::Preface.size()), 0});
    }

    HttpParser::Limits limits;
    if (options & SmallLimits) {
        limits.maxHeadBytes = 200;
        limits.keepBodyBytes = 16;
        limits.maxHeaders = 4;
    }
    const bool viaSink = options & ThroughSink;
    Checker checker{limits, viaSink, {}, 0, 0};
    TcpConnection connection;
    connection.id = 9;
    connection.midstream = options & Midstream;
    HttpSink sink([&](const TcpConnection &, HttpExchange &&x) { checker.take(std::move(x)); },
                  limits);
    sink.setHttp2Decoding(true);
    Http2Connection direct(limits);
    if (viaSink)
        sink.connectionOpened(connection);
    else if (connection.midstream)
        direct.startMidstream();

    bool stopped = false;
    std::size_t atStop = 0;
    auto after = [&] {
        if (viaSink)
            return;
        for (HttpExchange &x : direct.takeExchanges())
            checker.take(std::move(x));
        const auto st = direct.state();
        if (stopped) {
            check(checker.count == atStop, "an exchange after decoding stopped");
            check(st == Http2Connection::State::Stopped || st == Http2Connection::State::NotHttp2,
                  "a stopped decoder started again");
        } else if (st == Http2Connection::State::Stopped
                   || st == Http2Connection::State::NotHttp2) {
            stopped = true;
            atStop = checker.count;
            check(!direct.stopReason().isEmpty(), "stopped without saying why");
            check(direct.openStreams() == 0, "streams left open after a stop");
        }
    };

    std::size_t next[2] = {0, 0};
    std::size_t offset[2] = {0, 0};
    std::int64_t ts = 1000;
    while (next[0] < steps[0].size() || next[1] < steps[1].size()) {
        int d;
        if (next[0] == steps[0].size())
            d = 1;
        else if (next[1] == steps[1].size())
            d = 0;
        else if (options & ClientFirst)
            d = 0;
        else
            d = int(rng() % 3 == 0);
        const Step &s = steps[d][next[d]];
        const Direction dir = d == 0 ? Direction::ClientToServer : Direction::ServerToClient;
        ts += 1 + std::int64_t(rng() % 1000);
        connection.lastTsNs = ts;
        if (s.gap) {
            if (viaSink)
                sink.gap(connection, dir, s.gap, ts);
            else if (d == 0)
                direct.clientGap(s.gap, ts);
            else
                direct.serverGap(s.gap, ts);
            ++next[d];
        } else {
            std::size_t piece;
            switch (rng() % 4) {
            case 0:
                piece = 1 + rng() % 3;
                break;
            case 1:
                piece = 1 + rng() % 40;
                break;
            case 2:
                piece = 1 + rng() % 1500;
                break;
            default:
                piece = s.size;
                break;
            }
            piece = std::min(piece, s.size - offset[d]);
            const std::uint8_t *p = s.data + offset[d];
            if (viaSink)
                sink.data(connection, dir, p, piece, ts);
            else if (d == 0)
                direct.clientData(p, piece, ts);
            else
                direct.serverData(p, piece, ts);
            offset[d] += piece;
            if (offset[d] == s.size) {
                offset[d] = 0;
                ++next[d];
            }
        }
        after();
    }
    if (options & NoFinish)
        return 0;
    if (viaSink) {
        sink.connectionClosed(connection);
        check(sink.stats().exchanges == checker.count, "sink stats miscount exchanges");
        sink.connectionRemoved(connection);
        check(sink.http2(connection.id) == nullptr, "a removed connection lingers");
    } else {
        direct.finish(ts + 1);
        after();
        check(direct.openStreams() == 0, "streams left open after finish");
        direct.finish(ts + 2);
        check(!direct.hasExchanges(), "a second finish produced exchanges");
    }
    return 0;
}
