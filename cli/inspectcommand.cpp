#include "inspectcommand.h"

#include "capture/captureengine.h"
#include "inspectcollector.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

namespace podtap {

namespace {

QString describeError(const StreamError &e)
{
    return QStringLiteral("stream %1, byte offset %2, after record %3: %4")
            .arg(e.streamId)
            .arg(e.streamOffset)
            .arg(e.recordIndex)
            .arg(QString::fromStdString(e.message));
}

QJsonObject directionJson(const InspectCollector::Record &r, int d)
{
    const DirectionStats &s = r.stats[d];
    QJsonObject o;
    o[QLatin1String("packets")] = qint64(s.packets);
    o[QLatin1String("bytes")] = qint64(s.bytes);
    o[QLatin1String("sha256")] = QString::fromLatin1(r.sha256[d]);
    o[QLatin1String("gap_bytes")] = qint64(s.gapBytes);
    o[QLatin1String("gaps")] = qint64(s.gaps);
    o[QLatin1String("retransmissions")] = qint64(s.retransmissions);
    o[QLatin1String("out_of_order")] = qint64(s.outOfOrder);
    o[QLatin1String("overlap_conflicts")] = qint64(s.overlapConflicts);
    o[QLatin1String("keep_alives")] = qint64(s.keepAlives);
    return o;
}

double seconds(std::int64_t ns)
{
    const std::int64_t us = ns / 1000; // truncated: microsecond precision survives a double
    return double(us) / 1e6;
}

} // namespace

int InspectCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Print every TCP connection in a capture."));
    p.addPositionalArgument(QStringLiteral("FILE"),
                            QStringLiteral("pcap or pcapng file, - for stdin"));
    const QCommandLineOption portOpt(
            QStringLiteral("port"),
            QStringLiteral("Tapped port (server side of mid-stream connections)."),
            QStringLiteral("N"));
    const QCommandLineOption filterOpt(
            QStringLiteral("filter"), QStringLiteral("BPF display filter."), QStringLiteral("BPF"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON output."));
    const QCommandLineOption chunkOpt(QStringLiteral("chunk-size"),
                                      QStringLiteral("Feed size in bytes; 0 = random sizes."),
                                      QStringLiteral("N"), QStringLiteral("65536"));
    const QCommandLineOption seedOpt(QStringLiteral("seed"),
                                     QStringLiteral("Seed for random chunk sizes."),
                                     QStringLiteral("N"), QStringLiteral("1"));
    p.addOptions({portOpt, filterOpt, jsonOpt, chunkOpt, seedOpt});
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap inspect"));
    if (!p.parse(args) || p.positionalArguments().size() != 1) {
        const QString msg
                = p.errorText().isEmpty() ? QStringLiteral("expected one FILE") : p.errorText();
        std::fprintf(err, "podtap inspect: %s\n%s", qPrintable(msg), qPrintable(p.helpText()));
        return UsageOrIoError;
    }
    InspectOptions o;
    o.file = p.positionalArguments().constFirst();
    o.json = p.isSet(jsonOpt);
    o.filter = p.value(filterOpt);
    bool ok = true;
    if (p.isSet(portOpt)) {
        const uint port = p.value(portOpt).toUInt(&ok);
        if (!ok || port == 0 || port > 65535) {
            std::fprintf(err, "podtap inspect: --port must be 1-65535\n");
            return UsageOrIoError;
        }
        o.port = quint16(port);
    }
    o.chunkSize = p.value(chunkOpt).toULongLong(&ok);
    if (!ok || o.chunkSize > 64 * 1024 * 1024) {
        std::fprintf(err, "podtap inspect: --chunk-size must be 0-67108864\n");
        return UsageOrIoError;
    }
    o.seed = p.value(seedOpt).toUInt();
    return run(o, out, err);
}

int InspectCommand::run(const InspectOptions &o, FILE *out, FILE *err)
{
    FILE *in = stdin;
    if (o.file != QLatin1String("-")) {
        in = std::fopen(QFile::encodeName(o.file).constData(), "rb");
        if (!in) {
            std::fprintf(err, "podtap inspect: cannot open %s: %s\n", qPrintable(o.file),
                         std::strerror(errno));
            return UsageOrIoError;
        }
    }

    EngineConfig config;
    config.tappedPort = o.port;
    CaptureEngine engine(config);
    InspectCollector collector;
    engine.setSink(&collector);
    engine.setFilter(o.filter.toStdString());

    std::mt19937 rng(o.seed);
    std::uniform_int_distribution<std::size_t> randomSize(1, 65536);
    std::vector<std::uint8_t> buf(o.chunkSize == 0 ? 65536 : o.chunkSize);
    bool ioError = false;
    for (;;) {
        const std::size_t want = o.chunkSize == 0 ? randomSize(rng) : buf.size();
        const std::size_t n = std::fread(buf.data(), 1, want, in);
        if (n > 0 && !engine.feed(buf.data(), n))
            break; // the stream is damaged; what came before is still reported
        if (n < want) {
            ioError = std::ferror(in) != 0;
            break;
        }
    }
    if (in != stdin)
        std::fclose(in);
    engine.finish();

    QStringList errors;
    for (const StreamError &e : engine.streamErrors())
        errors << describeError(e);
    if (!engine.filterError().empty())
        errors << QStringLiteral("filter: ") + QString::fromStdString(engine.filterError());
    if (ioError)
        errors << QStringLiteral("read error: ") + QString::fromLocal8Bit(std::strerror(errno));

    const DecodeStats &ds = engine.decodeStats();
    if (o.json) {
        QJsonArray conns;
        for (const InspectCollector::Record &r : collector.records()) {
            QJsonObject c;
            c[QLatin1String("id")] = qint64(r.id);
            c[QLatin1String("client")] = QString::fromStdString(r.client);
            c[QLatin1String("server")] = QString::fromStdString(r.server);
            c[QLatin1String("state")] = QLatin1String(r.state);
            c[QLatin1String("close_reason")] = QLatin1String(r.closeReason);
            c[QLatin1String("midstream")] = r.midstream;
            c[QLatin1String("first_ts")] = seconds(r.firstTsNs);
            c[QLatin1String("last_ts")] = seconds(r.lastTsNs);
            if (r.handshakeRttNs >= 0)
                c[QLatin1String("handshake_rtt_us")] = double(r.handshakeRttNs) / 1000.0;
            c[QLatin1String("c2s")] = directionJson(r, 0);
            c[QLatin1String("s2c")] = directionJson(r, 1);
            conns.append(c);
        }
        QJsonObject stats;
        stats[QLatin1String("records")] = qint64(engine.reader().recordsRead());
        stats[QLatin1String("tcp_packets")] = qint64(ds.tcp);
        stats[QLatin1String("other_packets")] = qint64(ds.notTcp);
        stats[QLatin1String("fragments")] = qint64(ds.fragments);
        stats[QLatin1String("truncated_packets")] = qint64(ds.truncated);
        stats[QLatin1String("malformed_packets")] = qint64(ds.malformed);
        stats[QLatin1String("unsupported_link_packets")] = qint64(ds.unsupportedLink);
        stats[QLatin1String("filtered_out")] = qint64(engine.filteredOut());
        stats[QLatin1String("link_type")] = engine.reader().linkType();
        QJsonObject root;
        root[QLatin1String("connections")] = conns;
        root[QLatin1String("errors")] = QJsonArray::fromStringList(errors);
        root[QLatin1String("stats")] = stats;
        const QByteArray doc = QJsonDocument(root).toJson(QJsonDocument::Indented);
        std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
    } else {
        for (const InspectCollector::Record &r : collector.records()) {
            std::fprintf(out, "#%llu %s -> %s %s%s\n", static_cast<unsigned long long>(r.id),
                         r.client.c_str(), r.server.c_str(), r.state,
                         r.midstream ? " (joined mid-stream)" : "");
            for (int d = 0; d < 2; ++d) {
                const DirectionStats &s = r.stats[d];
                std::fprintf(out, "   %s %llu pkts %llu bytes gap %llu retrans %llu sha256 %s\n",
                             d == 0 ? "c2s" : "s2c", static_cast<unsigned long long>(s.packets),
                             static_cast<unsigned long long>(s.bytes),
                             static_cast<unsigned long long>(s.gapBytes),
                             static_cast<unsigned long long>(s.retransmissions),
                             r.sha256[d].constData());
            }
        }
        std::fprintf(out, "%zu connections, %llu records, %llu TCP packets\n",
                     collector.records().size(),
                     static_cast<unsigned long long>(engine.reader().recordsRead()),
                     static_cast<unsigned long long>(ds.tcp));
    }
    for (const QString &e : errors)
        std::fprintf(err, "podtap inspect: %s\n", qPrintable(e));
    std::fflush(out);
    if (!engine.streamErrors().empty() || !engine.filterError().empty())
        return MalformedInput;
    return ioError ? UsageOrIoError : Ok;
}

} // namespace podtap
