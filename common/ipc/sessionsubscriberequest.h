#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace podtap {

// `session.subscribe` / `session.unsubscribe`: one session's events ({id, pcap, pcapFormat,
// skipEvents}) or the session list's ({stream: "sessions"}).
struct SessionSubscribeRequest
{
    QString id;     // a session, or …
    QString stream; // … "sessions"
    bool pcap = false;
    QString pcapFormat; // empty: pcap; "pcapng"
    QStringList skipEvents;

    static SessionSubscribeRequest session(const QString &id);
    static SessionSubscribeRequest sessionList();

    QJsonObject toJson() const;
    // Needs an id or a stream.
    static SessionSubscribeRequest fromJson(const QJsonObject &json, QString *error);
};

} // namespace podtap
