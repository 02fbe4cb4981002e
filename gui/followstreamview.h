#pragma once

#include <QJsonObject>
#include <QPointer>
#include <QTextEdit>

namespace podtap {

class DaemonLink;

// One connection's conversation as the daemon reassembled it (session.stream): the client's
// bytes and the pod's in their colours, in the order they were seen, "[N bytes missing]"
// where the capture lost some, and a note when the conversation was cut at maxBytes.
class FollowStreamView : public QTextEdit
{
    Q_OBJECT

public:
    explicit FollowStreamView(DaemonLink *link, QWidget *parent = nullptr);

    // Asks for `connection` of `sessionId` (0 = none: cleared).
    void load(const QString &sessionId, qint64 connection);
    // Shows a session.stream answer.
    void setStream(const QJsonObject &stream);
    const QJsonObject &stream() const { return m_stream; }
    bool isLoading() const { return m_loading; }
    void setMaxBytes(qint64 maxBytes) { m_maxBytes = maxBytes; }

Q_SIGNALS:
    void loaded();
    void failed(const QString &message);

private:
    QPointer<DaemonLink> m_link;
    QJsonObject m_stream;
    qint64 m_maxBytes = 1024 * 1024;
    quint64 m_generation = 0;
    bool m_loading = false;
};

} // namespace podtap
