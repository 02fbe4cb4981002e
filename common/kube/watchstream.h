#pragma once

#include "jsonobjectstream.h"
#include "kubeapiclient.h"

#include <QObject>
#include <QPointer>

class QNetworkReply;

namespace podtap {

// A Kubernetes watch (GET …?watch=true): a chunked stream of {"type","object"} events.
// ERROR events carrying a 410 Expired Status are reported as expired() so the caller
// re-lists; the stream's end (timeoutSeconds, server close) is reported as ended().
class WatchStream : public QObject
{
    Q_OBJECT

public:
    WatchStream(KubeApiClient *api, const QString &path, const QUrlQuery &query,
                QObject *parent = nullptr);
    ~WatchStream() override;
    void start();
    void stop();

Q_SIGNALS:
    void event(const QString &type, const QJsonObject &object);
    void expired(const QString &message);
    void failed(const QString &message);
    void ended();

private:
    void open(const QNetworkRequest &request);

    KubeApiClient *m_api;
    QString m_path;
    QUrlQuery m_query;
    QPointer<QNetworkReply> m_reply;
    JsonObjectStream m_stream;
    quint64 m_generation = 0; // of start()/stop(): a stale credential callback does nothing
};

} // namespace podtap
