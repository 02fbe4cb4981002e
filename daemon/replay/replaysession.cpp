#include "replaysession.h"

#include <QFile>

#include <algorithm>
#include <climits>

#include <pcap/pcap.h>

namespace podtap {

namespace {
constexpr int BatchPackets = 512; // packets handled per event-loop pass at full speed
MirrorSink::Options sinkOptions(const ReplaySession::Options &o)
{
    MirrorSink::Options m;
    m.host = o.host;
    m.port = o.port;
    m.joinMidstream = o.includeMidstream;
    m.maxPendingBytes = 64 * 1024 * 1024; // a file can wait for a slow local port
    m.keepResponseBytes = 64 * 1024;
    if (!o.clients.isEmpty()) {
        const QSet<QString> clients = o.clients;
        m.select = [clients](const TcpConnection &c) {
            return clients.contains(QString::fromStdString(c.client.toString()));
        };
    }
    return m;
}

EngineConfig replayConfig(std::uint16_t port)
{
    EngineConfig c;
    c.tappedPort = port;
    return c;
}
} // namespace

ReplaySession::ReplaySession(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_sink(sinkOptions(options))
    , m_tracker(replayConfig(options.serverPort))
{
    m_tracker.setSink(&m_sink);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &ReplaySession::pump);
    connect(&m_sink, &MirrorSink::connectionEnded, this, &ReplaySession::connectionDone);
    connect(&m_sink, &MirrorSink::statsChanged, this, &ReplaySession::finishIfIdle);
}

ReplaySession::~ReplaySession()
{
    if (m_pcap)
        pcap_close(m_pcap);
}

bool ReplaySession::openFile(const QString &path, QString *error)
{
    if (m_pcap) {
        pcap_close(m_pcap);
        m_pcap = nullptr;
    }
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    m_pcap = pcap_open_offline_with_tstamp_precision(QFile::encodeName(path).constData(),
                                                     PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!m_pcap) {
        if (error)
            *error = QStringLiteral("cannot read %1: %2").arg(path, QString::fromLocal8Bit(errbuf));
        return false;
    }
    if (!PacketDecoder::supportsLinkType(pcap_datalink(m_pcap))) {
        if (error)
            *error = QStringLiteral("%1: link type %2 is not supported")
                             .arg(path)
                             .arg(pcap_datalink(m_pcap));
        return false;
    }
    m_current = path;
    return true;
}

bool ReplaySession::start(QString *error)
{
    m_queue = m_options.moreFiles;
    if (!openFile(m_options.file, error))
        return false;
    m_clock.start();
    m_timer.start(0);
    return true;
}

void ReplaySession::stop()
{
    m_timer.stop();
    m_eof = true;
    m_tracker.finish();
    finishIfIdle();
}

void ReplaySession::pump()
{
    const int link = pcap_datalink(m_pcap);
    for (int i = 0; i < BatchPackets; ++i) {
        if (!m_heldHeader) {
            const int r = pcap_next_ex(m_pcap, &m_heldHeader, &m_heldData);
            if (r != 1) {
                m_heldHeader = nullptr;
                if (r == PCAP_ERROR)
                    m_error = QStringLiteral("%1: %2").arg(
                            m_current, QString::fromLocal8Bit(pcap_geterr(m_pcap)));
                // A stored session's next spool file continues the same connections.
                if (m_error.isEmpty() && !m_queue.isEmpty()) {
                    QString error;
                    if (openFile(m_queue.takeFirst(), &error)) {
                        m_timer.start(0);
                        return;
                    }
                    m_error = error;
                }
                m_eof = true;
                m_tracker.finish();
                finishIfIdle();
                return;
            }
        }
        // libpcap keeps the held packet valid until the next pcap_next_ex().
        const std::int64_t tsNs
                = std::int64_t(m_heldHeader->ts.tv_sec) * 1000000000 + m_heldHeader->ts.tv_usec;
        if (m_firstTsNs < 0)
            m_firstTsNs = tsNs;
        if (m_options.speed > 0) {
            const double dueMs = double(tsNs - m_firstTsNs) / 1e6 / m_options.speed;
            const qint64 waitMs = qint64(dueMs) - m_clock.elapsed();
            if (waitMs > 0) {
                m_timer.start(int(std::min<qint64>(waitMs, 60000)));
                return;
            }
        }
        RawPacket pkt;
        pkt.data = m_heldData;
        pkt.caplen = m_heldHeader->caplen;
        pkt.len = m_heldHeader->len;
        pkt.tsNs = tsNs;
        pkt.linkType = link;
        pkt.recordIndex = m_packets++;
        m_heldHeader = nullptr;
        if (m_decoder.decode(pkt, m_segment) == DecodeResult::Tcp)
            m_tracker.process(m_segment, pkt);
    }
    Q_EMIT progress(m_packets, m_tracker.stats().connections);
    m_timer.start(0);
}

void ReplaySession::finishIfIdle()
{
    if (!m_eof || m_done || m_sink.openConnections() > 0)
        return;
    m_done = true;
    const auto &s = m_sink.stats();
    const QString summary
            = QStringLiteral("%1 connections replayed (%2 completed, %3 local errors, %4 skipped "
                             "mid-stream, %5 with gaps), %6 bytes sent%7")
                      .arg(s.connections)
                      .arg(s.completed)
                      .arg(s.localErrors)
                      .arg(s.skippedMidstream)
                      .arg(s.gaps)
                      .arg(s.bytesMirrored)
                      .arg(s.notSelected ? QStringLiteral("; %1 not selected").arg(s.notSelected)
                                         : QString());
    Q_EMIT done(m_error.isEmpty(),
                m_error.isEmpty() ? summary : m_error + QStringLiteral("; ") + summary);
}

} // namespace podtap
