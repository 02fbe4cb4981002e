#pragma once

#include "clusteraccess.h"
#include "kubestatus.h"
#include "proxyroute.h"

#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QObject>
#include <QPointer>
#include <QUrlQuery>

#include <functional>

class QNetworkReply;

namespace podtap {

// A small Kubernetes REST client on QNetworkAccessManager: per-cluster TLS (CA, client
// certificate, server name), auth headers from the kubeconfig or an exec plugin,
// HTTP/1.1 keep-alive, one retry after a 401 with refreshed exec credentials, and
// errors decoded from the Status body.
class KubeApiClient : public QObject
{
    Q_OBJECT

public:
    struct Response
    {
        int httpCode = 0;
        QByteArray body;
        QJsonObject json;
        KubeStatus status; // set when not 2xx, or when the transport failed
        QString transportError;
        bool ok() const { return transportError.isEmpty() && httpCode >= 200 && httpCode < 300; }
        // Plain words for the user.
        QString errorText() const;
    };
    using Callback = std::function<void(const Response &)>;

    KubeApiClient(const ClusterAccess &access, ExecCredentialPlugin *plugins,
                  QObject *parent = nullptr);

    // Adds key=value fully percent-encoded ('+' included, which Go would read as a space).
    static void addQueryValue(QUrlQuery &query, const QString &key, const QString &value);

    const ClusterAccess &access() const { return m_access; }
    ExecCredentialPlugin *plugins() const { return m_plugins; }
    // The route to the server (ProxyRoute: the kubeconfig's proxy-url, else HTTPS_PROXY /
    // NO_PROXY as kubectl reads them); exec WebSockets and watches take the same route.
    QNetworkProxy proxy() const { return m_nam.proxy(); }
    const ProxyRoute::Choice &route() const { return m_route; }
    // The environment the proxy variables come from: this process's until a client's
    // (the terminal that asked) is given. A bad proxy setting fails every request, clearly.
    void setProxyEnvironment(const QProcessEnvironment &environment);

    // `path` starts with /api or /apis. `context` guards the callback's lifetime.
    void request(const QByteArray &verb, const QString &path, const QUrlQuery &query,
                 const QByteArray &body, const QByteArray &contentType, QObject *context,
                 Callback callback);
    void get(const QString &path, const QUrlQuery &query, QObject *context, Callback callback)
    {
        request("GET", path, query, {}, {}, context, std::move(callback));
    }
    // Runs `request` and waits (for the CLI and tests), at most `timeoutMs`.
    Response requestAndWait(const QByteArray &verb, const QString &path,
                            const QUrlQuery &query = {}, const QByteArray &body = {},
                            const QByteArray &contentType = {}, int timeoutMs = 30000);

    // A request ready to send (URL, TLS, headers); used by watch and exec streams too.
    Result<QNetworkRequest> prepare(const QString &path, const QUrlQuery &query) const;
    QUrl urlFor(const QString &path, const QUrlQuery &query) const;
    QNetworkAccessManager *network() { return &m_nam; }

private:
    void send(const QByteArray &verb, const QString &path, const QUrlQuery &query,
              const QByteArray &body, const QByteArray &contentType, QPointer<QObject> context,
              bool guarded, Callback callback, bool retried);

    ClusterAccess m_access;
    ExecCredentialPlugin *m_plugins;
    QNetworkAccessManager m_nam;
    ProxyRoute::Choice m_route;
    QString m_proxyError;
};

} // namespace podtap
