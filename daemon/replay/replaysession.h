#pragma once

#include "capture/connectiontracker.h"
#include "capture/packetdecoder.h"
#include "capturefilesource.h"
#include "mirror/mirrorsink.h"

#include <QElapsedTimer>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <memory>

namespace podtap {

// Replays the inbound connections of a pcap/pcapng file to a local port: each captured
// connection becomes a local one carrying exactly its client → server bytes. Timing:
// original (speed 1), scaled (speed N), or as fast as possible (speed 0). Connections that
// overlapped in the capture overlap in the replay; their relative start order is kept.
class ReplaySession : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        QString file;
        QStringList moreFiles; // read after `file`, in order (a stored session's spool files)
        QHostAddress host = QHostAddress::LocalHost;
        quint16 port = 0;
        double speed = 1.0;           // 0 = as fast as possible
        std::uint16_t serverPort = 0; // which side is the server for mid-stream connections
        bool includeMidstream = false;
        // Replay only these connections, by client endpoint ("198.18.0.2:41234",
        // "[fd00::2]:41234"); empty: all.
        QSet<QString> clients;
    };

    explicit ReplaySession(const Options &options, QObject *parent = nullptr);
    ~ReplaySession() override;

    bool start(QString *error);
    void stop();
    MirrorSink::Stats stats() const { return m_sink.stats(); }
    quint64 packetsRead() const { return m_packets; }
    bool finished() const { return m_done; }

Q_SIGNALS:
    void progress(quint64 packets, quint64 connections);
    void connectionDone(quint64 captureId, const QString &outcome, quint64 bytesSent,
                        const QByteArray &responseHead);
    void done(bool ok, const QString &message);

private:
    void pump();
    void finishIfIdle();

    Options m_options;
    MirrorSink m_sink;
    PacketDecoder m_decoder;
    ConnectionTracker m_tracker;
    TcpSegment m_segment;
    CaptureFileSource m_source;
    RawPacket m_held; // read but not yet due
    bool m_holding = false;
    QTimer m_timer;
    QElapsedTimer m_clock;
    std::int64_t m_firstTsNs = -1;
    quint64 m_packets = 0;
    bool m_eof = false;
    bool m_done = false;
    QString m_error;
};

} // namespace podtap
