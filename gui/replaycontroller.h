#pragma once

#include <QJsonObject>
#include <QList>
#include <QObject>

namespace podtap {

class DaemonLink;

// One replay at a time in podtapd (replay.start with subscribe): a stored session or a
// pcap/pcapng file sent again to a local port. Progress and the final counts come from the
// `replay/ID` stream.
class ReplayController : public QObject
{
    Q_OBJECT

public:
    struct Request
    {
        QString sessionId; // a stored session, or …
        QString file;      // … a pcap/pcapng file
        int port = 0;      // on 127.0.0.1
        double speed = 0;  // 0 = as fast as possible, 1 = as captured, 10 = ten times faster
        QList<qint64> connections; // empty: all
    };

    explicit ReplayController(DaemonLink *link, QObject *parent = nullptr);

    // The replay.start parameters for `request`.
    static QJsonObject startParams(const Request &request);

    void start(const Request &request);
    void stop();
    bool isRunning() const { return m_running; }
    QString replayId() const { return m_id; }
    QJsonObject lastDone() const { return m_done; }

Q_SIGNALS:
    void started(const QString &id);
    void progress(qint64 packets, qint64 connections, qint64 bytesSent);
    // The daemon's `done` event: {ok, message, connections, completed, localErrors, …}.
    void finished(const QJsonObject &done);
    void failed(const QString &message);

private:
    void onEvent(const QJsonObject &event);

    DaemonLink *m_link;
    QString m_id;
    QJsonObject m_done;
    bool m_running = false;
    quint64 m_generation = 0; // a reply for a replay we gave up on is ignored
};

} // namespace podtap
