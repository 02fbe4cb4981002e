#include "storequeries.h"

#include "capture/captureengine.h"
#include "capture/pcapwriter.h"
#include "sessionlayout.h"
#include "spoolfilereader.h"

#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStringBuilder>

#include <memory>

namespace podtap {

namespace {
constexpr int ScanChunk = 65536;
constexpr std::uint8_t TcpFin = 0x01;
constexpr std::uint8_t TcpSyn = 0x02;
constexpr std::uint8_t TcpRst = 0x04;

// Calls f(number, entry) for every index record from `from` on, in chunks; f returns false
// to stop. Returns the number after the last record looked at.
template<typename F>
quint64 scan(const StoredSession &session, quint64 from, quint64 limit, F &&f)
{
    const quint64 total = session.packetCount();
    quint64 at = std::max(from, session.firstPacket());
    const quint64 stop = limit >= total - std::min(total, at) ? total : at + limit;
    while (at < stop) {
        const int n = int(std::min<quint64>(stop - at, ScanChunk));
        const QList<PacketIndexEntry> chunk = session.entries(at, n);
        if (chunk.isEmpty())
            break; // damaged or rotated out meanwhile
        for (const PacketIndexEntry &e : chunk) {
            if (!f(at, e))
                return at + 1;
            ++at;
        }
        if (chunk.size() < n)
            break;
    }
    return at;
}

// Collects one connection's reassembled bytes as ordered chunks, consecutive bytes of one
// direction merged, bounded by maxBytes (the rest is only counted).
class StreamCollector : public CaptureSink
{
public:
    explicit StreamCollector(qint64 maxBytes)
        : m_maxBytes(maxBytes)
    {}

    void data(TcpConnection &, Direction d, const std::uint8_t *bytes, std::size_t size,
              std::int64_t tsNs) override
    {
        const int dir = int(d);
        const qint64 offset = m_offset[dir];
        m_offset[dir] += qint64(size);
        m_total[dir] += qint64(size);
        qint64 keep = std::min<qint64>(qint64(size), m_maxBytes - m_kept);
        if (keep < qint64(size))
            m_truncated = true;
        if (keep <= 0)
            return;
        m_kept += keep;
        if (!m_chunks.isEmpty() && m_chunks.constLast().direction == dir
            && m_chunks.constLast().offset + m_chunks.constLast().data.size() == offset) {
            m_chunks.last().data.append(reinterpret_cast<const char *>(bytes), keep);
            return;
        }
        m_chunks.append(
                {dir, offset, tsNs, QByteArray(reinterpret_cast<const char *>(bytes), keep)});
    }

    void gap(TcpConnection &, Direction d, std::uint64_t bytes, std::int64_t) override
    {
        const int dir = int(d);
        m_gaps.append(QJsonObject{{QStringLiteral("direction"), dir},
                                  {QStringLiteral("offset"), m_offset[dir]},
                                  {QStringLiteral("length"), qint64(bytes)}});
        m_offset[dir] += qint64(bytes);
        m_gapBytes[dir] += qint64(bytes);
    }

    void connectionOpened(TcpConnection &) override { ++m_connections; }

    QJsonObject result() const
    {
        QJsonArray chunks;
        for (const Chunk &c : m_chunks)
            chunks.append(
                    QJsonObject{{QStringLiteral("direction"), c.direction},
                                {QStringLiteral("offset"), c.offset},
                                {QStringLiteral("ts"), c.tsNs},
                                {QStringLiteral("data"), QString::fromLatin1(c.data.toBase64())}});
        return QJsonObject{{QStringLiteral("chunks"), chunks},
                           {QStringLiteral("gaps"), m_gaps},
                           {QStringLiteral("truncated"), m_truncated},
                           {QStringLiteral("c2sBytes"), m_total[0]},
                           {QStringLiteral("s2cBytes"), m_total[1]},
                           {QStringLiteral("c2sGapBytes"), m_gapBytes[0]},
                           {QStringLiteral("s2cGapBytes"), m_gapBytes[1]},
                           {QStringLiteral("trackedConnections"), m_connections}};
    }

private:
    struct Chunk
    {
        int direction;
        qint64 offset;
        qint64 tsNs;
        QByteArray data;
    };
    qint64 m_maxBytes;
    qint64 m_kept = 0;
    bool m_truncated = false;
    int m_connections = 0;
    qint64 m_offset[2] = {0, 0};
    qint64 m_total[2] = {0, 0};
    qint64 m_gapBytes[2] = {0, 0};
    QList<Chunk> m_chunks;
    QJsonArray m_gaps;
};
// Calls f(object) for every complete line of a JSON Lines file of the session folder; a
// missing file is an empty one, a line cut by a crash mid-write ends it.
template<typename F>
bool readJsonLines(const QString &path, QString *error, F &&f)
{
    QFile file(path);
    if (!file.exists())
        return true;
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
        return false;
    }
    while (!file.atEnd()) {
        const QByteArray line = file.readLine();
        if (!line.endsWith('\n'))
            break;
        const QJsonDocument doc = QJsonDocument::fromJson(line);
        if (doc.isObject())
            f(doc.object());
    }
    return true;
}

size_t exchangeKey(qint64 id, qint64 index)
{
    return qHashMulti(0, id, index);
}
} // namespace

StoreQueries::PacketPage StoreQueries::packets(const StoredSession &session,
                                               const PacketFilter &filter, quint64 from, int count,
                                               quint64 scanLimit)
{
    PacketPage page;
    const quint64 total = session.packetCount();
    if (count <= 0) {
        page.next = std::max(from, session.firstPacket());
        page.end = page.next >= total;
        return page;
    }
    page.next = scan(session, from, scanLimit, [&](quint64 n, const PacketIndexEntry &e) {
        if (filter.matches(e))
            page.packets.append({n, e});
        return page.packets.size() < count;
    });
    page.end = page.next >= total;
    return page;
}

Result<QJsonObject> StoreQueries::histogram(const StoredSession &session, const HistogramQuery &q)
{
    if (q.bins < 1 || q.bins > MaxBins)
        return Result<QJsonObject>::failure(
                QStringLiteral("bins must be 1 to %1 (got %2)").arg(MaxBins).arg(q.bins));
    if (q.fromNs > q.toNs)
        return Result<QJsonObject>::failure(
                QStringLiteral("fromNs (%1) is after toNs (%2)").arg(q.fromNs).arg(q.toNs));
    const auto wanted = [&q](const PacketIndexEntry &e) {
        return q.connections.isEmpty() || q.connections.contains(e.connectionId);
    };
    // The session's extent (of the selected connections). An open range needs it before
    // binning, so that costs a second pass over the index.
    qint64 firstNs = std::numeric_limits<qint64>::max();
    qint64 lastNs = std::numeric_limits<qint64>::min();
    const auto extent = [&](const PacketIndexEntry &e) {
        firstNs = std::min<qint64>(firstNs, e.tsNs);
        lastNs = std::max<qint64>(lastNs, e.tsNs);
    };
    qint64 fromNs = q.fromNs;
    qint64 toNs = q.toNs;
    const bool open = fromNs == std::numeric_limits<qint64>::min()
                      || toNs == std::numeric_limits<qint64>::max();
    if (open) {
        scan(session, 0, std::numeric_limits<quint64>::max(),
             [&](quint64, const PacketIndexEntry &e) {
                 if (wanted(e))
                     extent(e);
                 return true;
             });
        if (fromNs == std::numeric_limits<qint64>::min())
            fromNs = firstNs == std::numeric_limits<qint64>::max() ? 0 : firstNs;
        if (toNs == std::numeric_limits<qint64>::max())
            toNs = lastNs == std::numeric_limits<qint64>::min() ? fromNs : lastNs;
        toNs = std::max(toNs, fromNs);
    }
    const int bins = q.bins;
    // Bins of equal width covering [fromNs, toNs] inclusive.
    const qint64 span = toNs - fromNs + 1;
    const qint64 binNs = std::max<qint64>(1, (span + bins - 1) / bins);
    const size_t n = size_t(bins);
    std::vector<qint64> in(n), out(n), other(n), bytes(n), resets(n), syns(n), fins(n);
    qint64 total = 0;
    scan(session, 0, std::numeric_limits<quint64>::max(), [&](quint64, const PacketIndexEntry &e) {
        if (!wanted(e))
            return true;
        if (!open)
            extent(e);
        if (e.tsNs < fromNs || e.tsNs > toNs)
            return true;
        const size_t b = size_t(std::min<qint64>((e.tsNs - fromNs) / binNs, bins - 1));
        ++total;
        if (e.direction == PacketIndexEntry::ClientToServer)
            ++in[b];
        else if (e.direction == PacketIndexEntry::ServerToClient)
            ++out[b];
        else
            ++other[b];
        bytes[b] += e.length;
        // Flags are only meaningful for tracked TCP packets.
        if (e.connectionId != 0) {
            resets[b] += (e.tcpFlags & TcpRst) ? 1 : 0;
            syns[b] += (e.tcpFlags & TcpSyn) ? 1 : 0;
            fins[b] += (e.tcpFlags & TcpFin) ? 1 : 0;
        }
        return true;
    });
    const auto array = [](const std::vector<qint64> &v) {
        QJsonArray a;
        for (const qint64 x : v)
            a.append(x);
        return a;
    };
    QJsonObject r{
            {QStringLiteral("fromNs"), fromNs},      {QStringLiteral("toNs"), toNs},
            {QStringLiteral("binNs"), binNs},        {QStringLiteral("bins"), bins},
            {QStringLiteral("total"), total},        {QStringLiteral("in"), array(in)},
            {QStringLiteral("out"), array(out)},     {QStringLiteral("other"), array(other)},
            {QStringLiteral("bytes"), array(bytes)}, {QStringLiteral("resets"), array(resets)},
            {QStringLiteral("syns"), array(syns)},   {QStringLiteral("fins"), array(fins)}};
    if (firstNs <= lastNs) {
        r[QLatin1String("firstNs")] = firstNs;
        r[QLatin1String("lastNs")] = lastNs;
    }
    return r;
}

Result<QJsonObject> StoreQueries::stream(const StoredSession &session, const StreamQuery &q)
{
    if (q.connection == 0)
        return Result<QJsonObject>::failure(
                QStringLiteral("connection must be a connection id of the session"));
    if (q.maxBytes < 0 || q.maxBytes > MaxStreamBytes)
        return Result<QJsonObject>::failure(QStringLiteral("maxBytes must be 0 to %1 (got %2)")
                                                    .arg(MaxStreamBytes)
                                                    .arg(q.maxBytes));
    QHash<int, StoredSession::SpoolFileInfo> files;
    for (const auto &f : session.spoolFiles())
        files.insert(f.number, f);
    // The connection's packets go through the capture engine exactly as at capture time
    // (as a pcap byte stream), so the conversation is reassembled by the same code.
    EngineConfig config;
    config.tappedPort = std::uint16_t(q.tappedPort);
    CaptureEngine engine(config);
    StreamCollector collector(q.maxBytes);
    engine.setSink(&collector);
    std::unique_ptr<SpoolFileReader> reader;
    int readerFile = -1;
    int streamLinkType = -1;
    QByteArray buffer;
    QString error;
    quint64 packets = 0;
    scan(session, 0, std::numeric_limits<quint64>::max(), [&](quint64, const PacketIndexEntry &e) {
        if (e.connectionId != q.connection)
            return true;
        if (readerFile != e.fileNumber) {
            reader = std::make_unique<SpoolFileReader>(1024 * 1024);
            readerFile = e.fileNumber;
            if (!reader->open(files.value(e.fileNumber).capturePath, &error))
                return false;
        }
        RawPacket p;
        std::uint32_t iface = 0;
        if (!reader->readPacket(e.fileOffset, &p, &iface, &error))
            return false;
        const int linkType = files.value(e.fileNumber).linkTypes.value(qsizetype(iface), -1);
        if (linkType < 0) {
            error = QStringLiteral("a packet of connection %1 has an unknown link type")
                            .arg(q.connection);
            return false;
        }
        buffer.resize(0);
        if (linkType != streamLinkType) {
            if (streamLinkType >= 0)
                engine.endOfStream();
            engine.beginStream();
            buffer.append(PcapWriter::pcapHeader(linkType, 262144));
            streamLinkType = linkType;
        }
        PcapWriter::appendPcapRecord(buffer, p);
        engine.feed(reinterpret_cast<const std::uint8_t *>(buffer.constData()),
                    std::size_t(buffer.size()));
        ++packets;
        return true;
    });
    if (!error.isEmpty())
        return Result<QJsonObject>::failure(
                QStringLiteral("cannot read connection %1: %2").arg(q.connection).arg(error));
    if (packets == 0)
        return Result<QJsonObject>::failure(
                QStringLiteral("connection %1 has no packets in this session's store")
                        .arg(q.connection));
    engine.finish();
    QJsonObject r = collector.result();
    r[QLatin1String("connection")] = qint64(q.connection);
    r[QLatin1String("packets")] = qint64(packets);
    return r;
}

namespace {
// An HTTP method in any case, or a gRPC call's "pkg.Service/Method" or "Method".
bool methodMatches(const QJsonObject &exchange, const QString &wanted)
{
    if (exchange.value(QLatin1String("method")).toString().compare(wanted, Qt::CaseInsensitive)
        == 0)
        return true;
    const QJsonObject grpc = exchange.value(QLatin1String("grpc")).toObject();
    const QString method = grpc.value(QLatin1String("method")).toString();
    if (method.isEmpty())
        return false;
    return wanted == method
           || wanted == grpc.value(QLatin1String("service")).toString() + QLatin1Char('/') + method;
}
} // namespace

Result<QJsonObject> StoreQueries::requests(const StoredSession &session, const RequestQuery &q)
{
    if (q.limit < 0 || q.limit > MaxRequestsPerPage)
        return Result<QJsonObject>::failure(QStringLiteral("limit must be 0 to %1 (got %2)")
                                                    .arg(MaxRequestsPerPage)
                                                    .arg(q.limit));
    if (q.offset < 0)
        return Result<QJsonObject>::failure(
                QStringLiteral("offset must not be negative (got %1)").arg(q.offset));
    const QString dir = session.directory() + QLatin1Char('/');
    QString error;
    // Verdicts by (id, index): keyed by a hash of the pair, compared again on lookup.
    struct Verdict
    {
        qint64 id;
        qint64 index;
        QJsonObject record;
        bool joined = false;
    };
    std::vector<Verdict> verdicts;
    QMultiHash<size_t, std::size_t> verdictAt;
    if (!readJsonLines(dir + SessionLayout::compareFile(), &error, [&](const QJsonObject &v) {
            const qint64 id = v.value(QLatin1String("id")).toInteger();
            const qint64 index = v.value(QLatin1String("index")).toInteger();
            verdictAt.insert(exchangeKey(id, index), verdicts.size());
            verdicts.push_back({id, index, v});
        }))
        return Result<QJsonObject>::failure(error);
    const auto findVerdict = [&](qint64 id, qint64 index) -> Verdict * {
        const size_t key = exchangeKey(id, index);
        for (auto it = verdictAt.constFind(key); it != verdictAt.cend() && it.key() == key; ++it) {
            Verdict &v = verdicts[it.value()];
            if (v.id == id && v.index == index)
                return &v;
        }
        return nullptr;
    };
    const auto wanted = [&q](const QJsonObject &o, const QJsonObject *verdict) {
        if (q.connection >= 0 && o.value(QLatin1String("id")).toInteger(-1) != q.connection)
            return false;
        if (!q.route.isEmpty() && o.value(QLatin1String("route")).toString() != q.route)
            return false;
        if (!q.method.isEmpty() && !methodMatches(o, q.method))
            return false;
        if (q.verdicts.isEmpty())
            return true;
        if (!verdict)
            return q.verdicts.contains(QStringLiteral("none"));
        const QString kind = verdict->value(QLatin1String("verdict")).toString();
        return q.verdicts.contains(kind)
               || (q.verdicts.contains(QStringLiteral("differ"))
                   && (kind == QLatin1String("status") || kind == QLatin1String("body")
                       || kind == QLatin1String("headers")));
    };
    qint64 total = 0;
    QJsonArray page;
    const auto take = [&](QJsonObject row, const QJsonObject *verdict) {
        if (!wanted(row, verdict))
            return;
        if (total >= q.offset && total < q.offset + q.limit) {
            if (verdict)
                row[QLatin1String("compare")] = *verdict;
            page.append(row);
        }
        ++total;
    };
    if (!readJsonLines(dir + SessionLayout::httpFile(), &error, [&](const QJsonObject &x) {
            Verdict *v = findVerdict(x.value(QLatin1String("id")).toInteger(),
                                     x.value(QLatin1String("index")).toInteger());
            if (v)
                v->joined = true;
            take(x, v ? &v->record : nullptr);
        }))
        return Result<QJsonObject>::failure(error);
    for (const Verdict &v : verdicts) {
        if (v.joined)
            continue;
        QJsonObject row;
        for (const char *key : {"id", "index", "method", "target", "route"})
            row[QLatin1String(key)] = v.record.value(QLatin1String(key));
        take(row, &v.record);
    }
    const qint64 next = std::min(total, q.offset + page.size());
    return QJsonObject{{QStringLiteral("total"), total},
                       {QStringLiteral("offset"), q.offset},
                       {QStringLiteral("next"), next},
                       {QStringLiteral("end"), next >= total},
                       {QStringLiteral("compared"), qint64(verdicts.size())},
                       {QStringLiteral("requests"), page}};
}

} // namespace podtap
