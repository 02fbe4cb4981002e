#pragma once

#include "clusteraccess.h"
#include "credentialcache.h"
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
// errors decoded from the Status body. Exec credentials come from a CredentialCache and
// never block: a request waits (in the event loop) for the plugin run it needs.
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
    using PrepareCallback = std::function<void(const Result<QNetworkRequest> &)>;

    // `credentials` holds exec plugin credentials (shared daemon-wide); it must outlive us.
    KubeApiClient(const ClusterAccess &access, CredentialCache *credentials,
                  QObject *parent = nullptr);

    // Adds key=value fully percent-encoded ('+' included, which Go would read as a space).
    static void addQueryValue(QUrlQuery &query, const QString &key, const QString &value);

    const ClusterAccess &access() const { return m_access; }
    CredentialCache *credentials() const { return m_credentials; }
    // The environment exec plugins run in: the client's that asked (default: this process's).
    void setPluginEnvironment(const QProcessEnvironment &environment);
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

    // A request ready to send (URL, TLS, headers); used by watch and exec streams too. Calls
    // back at once when no exec plugin has to run first, else once its run ended; never after
    // `context` is gone.
    void prepare(const QString &path, const QUrlQuery &query, QObject *context,
                 PrepareCallback callback);
    QUrl urlFor(const QString &path, const QUrlQuery &query) const;
    QNetworkAccessManager *network() { return &m_nam; }

private:
    using CredentialCallback = std::function<void(const Result<ExecCredential> &)>;
    // The exec credential when needsExecCredential(), else an empty one at once.
    void withCredential(CredentialCallback callback);
    Result<QNetworkRequest> build(const QString &path, const QUrlQuery &query,
                                  const ExecCredential *execCredential) const;
    void send(const QByteArray &verb, const QString &path, const QUrlQuery &query,
              const QByteArray &body, const QByteArray &contentType, QPointer<QObject> context,
              bool guarded, Callback callback, bool retried);

    ClusterAccess m_access;
    CredentialCache *m_credentials;
    CredentialSource m_source; // when the access needs an exec credential
    QNetworkAccessManager m_nam;
    ProxyRoute::Choice m_route;
    QString m_proxyError;
};

} // namespace podtap
