#include "replaysession.h"

#include <algorithm>
#include <climits>

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

ReplaySession::~ReplaySession() = default;

bool ReplaySession::start(QString *error)
{
    if (!m_source.open(m_options.file, m_options.moreFiles, error))
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
    for (int i = 0; i < BatchPackets; ++i) {
        if (!m_holding) {
            const CaptureFileSource::Status status = m_source.next(m_held);
            if (status != CaptureFileSource::Status::Packet) {
                if (status == CaptureFileSource::Status::Error)
                    m_error = m_source.errorString();
                m_eof = true;
                m_tracker.finish();
                finishIfIdle();
                return;
            }
            m_holding = true;
        }
        // The source keeps the held packet valid until its next read.
        if (m_firstTsNs < 0)
            m_firstTsNs = m_held.tsNs;
        if (m_options.speed > 0) {
            const double dueMs = double(m_held.tsNs - m_firstTsNs) / 1e6 / m_options.speed;
            const qint64 waitMs = qint64(dueMs) - m_clock.elapsed();
            if (waitMs > 0) {
                m_timer.start(int(std::min<qint64>(waitMs, 60000)));
                return;
            }
        }
        m_holding = false;
        ++m_packets;
        if (m_decoder.decode(m_held, m_segment) == DecodeResult::Tcp)
            m_tracker.process(m_segment, m_held);
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
