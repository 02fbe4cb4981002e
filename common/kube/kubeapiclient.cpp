#include "kubeapiclient.h"

#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcessEnvironment>
#include <QTimer>

namespace podtap {

QString KubeApiClient::Response::errorText() const
{
    if (!transportError.isEmpty())
        return transportError;
    if (ok())
        return {};
    return status.explain();
}

KubeApiClient::KubeApiClient(const ClusterAccess &access, CredentialCache *credentials,
                             QObject *parent)
    : QObject(parent)
    , m_access(access)
    , m_credentials(credentials)
{
    setPluginEnvironment({});
    setProxyEnvironment(QProcessEnvironment::systemEnvironment());
}

void KubeApiClient::setProxyEnvironment(const QProcessEnvironment &environment)
{
    auto route = ProxyRoute::choose(m_access.server(), m_access.cluster().proxyUrl, environment);
    if (!route) {
        // Refused at the first request (prepare), never silently sent direct.
        m_proxyError = route.error();
        m_route = {};
        m_nam.setProxy(QNetworkProxy::NoProxy);
        return;
    }
    m_proxyError.clear();
    m_route = route.value();
    m_nam.setProxy(m_route.proxy);
}

void KubeApiClient::addQueryValue(QUrlQuery &query, const QString &key, const QString &value)
{
    query.addQueryItem(key, QString::fromLatin1(QUrl::toPercentEncoding(value)));
}

QUrl KubeApiClient::urlFor(const QString &path, const QUrlQuery &query) const
{
    QUrl url = m_access.server();
    QString base = url.path();
    if (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    url.setPath(base + path);
    if (!query.isEmpty())
        url.setQuery(query);
    return url;
}

void KubeApiClient::setPluginEnvironment(const QProcessEnvironment &environment)
{
    if (m_access.needsExecCredential())
        m_source = CredentialSource::make(*m_access.user().exec, m_access.cluster(), environment);
}

void KubeApiClient::withCredential(CredentialCallback callback)
{
    if (!m_access.needsExecCredential()) {
        callback(ExecCredential());
        return;
    }
    m_credentials->get(m_source, this, std::move(callback));
}

void KubeApiClient::prepare(const QString &path, const QUrlQuery &query, QObject *context,
                            PrepareCallback callback)
{
    const bool guarded = context != nullptr;
    withCredential([=, this, context = QPointer<QObject>(context),
                    callback = std::move(callback)](const Result<ExecCredential> &cred) {
        if (guarded && !context)
            return;
        if (!cred)
            callback(Result<QNetworkRequest>::failure(cred.error()));
        else
            callback(build(path, query, &cred.value()));
    });
}

Result<QNetworkRequest> KubeApiClient::build(const QString &path, const QUrlQuery &query,
                                             const ExecCredential *execCredential) const
{
    if (!m_proxyError.isEmpty())
        return Result<QNetworkRequest>::failure(m_proxyError);
    QNetworkRequest req(urlFor(path, query));
    if (m_access.server().scheme() == QLatin1String("https")) {
        auto ssl = m_access.tlsConfiguration(execCredential);
        if (!ssl)
            return Result<QNetworkRequest>::failure(ssl.error());
        req.setSslConfiguration(ssl.value());
        if (!m_access.cluster().tlsServerName.isEmpty())
            req.setPeerVerifyName(m_access.cluster().tlsServerName);
    }
    auto headers = m_access.authHeaders(execCredential);
    if (!headers)
        return Result<QNetworkRequest>::failure(headers.error());
    for (const auto &h : headers.value())
        req.setRawHeader(h.first, h.second);
    req.setRawHeader("Accept", "application/json");
    req.setRawHeader("User-Agent", "podtap/" PODTAP_VERSION);
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                     QNetworkRequest::ManualRedirectPolicy);
    return req;
}

void KubeApiClient::request(const QByteArray &verb, const QString &path, const QUrlQuery &query,
                            const QByteArray &body, const QByteArray &contentType, QObject *context,
                            Callback callback)
{
    send(verb, path, query, body, contentType, QPointer<QObject>(context), context != nullptr,
         std::move(callback), false);
}

void KubeApiClient::send(const QByteArray &verb, const QString &path, const QUrlQuery &query,
                         const QByteArray &body, const QByteArray &contentType,
                         QPointer<QObject> context, bool guarded, Callback callback, bool retried)
{
    withCredential([=, this, context = std::move(context),
                    callback = std::move(callback)](const Result<ExecCredential> &cred) {
        if (guarded && !context)
            return;
        auto req = cred ? build(path, query, &cred.value())
                        : Result<QNetworkRequest>::failure(cred.error());
        if (!req) {
            Response r;
            r.transportError = req.error();
            QTimer::singleShot(0, this, [=] {
                if (!guarded || context)
                    callback(r);
            });
            return;
        }
        if (!contentType.isEmpty())
            req->setHeader(QNetworkRequest::ContentTypeHeader, contentType);
        QNetworkReply *reply = m_nam.sendCustomRequest(req.value(), verb, body);
        const ExecCredential &used = cred.value(); // the lambda below copies it
        connect(reply, &QNetworkReply::finished, this, [=, this] {
            reply->deleteLater();
            Response r;
            r.httpCode = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            r.body = reply->readAll();
            if (r.httpCode == 0) {
                // Name the proxy when there is one: "Proxy connection refused" alone does not
                // say that HTTPS_PROXY came from the terminal's environment.
                const QString via
                        = m_route.direct() ? QString() : QLatin1Char(' ') + m_route.describe();
                r.transportError
                        = QStringLiteral("cannot reach %1%2: %3")
                                  .arg(m_access.server().toString(), via, reply->errorString());
            } else {
                const QJsonDocument doc = QJsonDocument::fromJson(r.body);
                if (doc.isObject())
                    r.json = doc.object();
                if (!r.ok())
                    r.status = KubeStatus::fromBody(r.httpCode, r.body);
            }
            if (r.httpCode == 401 && !retried && m_access.needsExecCredential()) {
                // The exec credential was rejected: re-run the plugin once (one run shared by
                // every request rejected with this credential) and retry once.
                m_credentials->reject(m_source.key, used);
                send(verb, path, query, body, contentType, context, guarded, callback, true);
                return;
            }
            if (!guarded || context)
                callback(r);
        });
    });
}

KubeApiClient::Response KubeApiClient::requestAndWait(const QByteArray &verb, const QString &path,
                                                      const QUrlQuery &query,
                                                      const QByteArray &body,
                                                      const QByteArray &contentType, int timeoutMs)
{
    Response result;
    bool done = false;
    QEventLoop loop;
    QObject guard;
    request(verb, path, query, body, contentType, &guard, [&](const Response &r) {
        result = r;
        done = true;
        loop.quit();
    });
    QTimer timer;
    timer.setSingleShot(true);
    connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
    timer.start(timeoutMs);
    if (!done)
        loop.exec();
    if (!done)
        result.transportError = QStringLiteral("no answer from %1 within %2 s")
                                        .arg(m_access.server().toString())
                                        .arg(timeoutMs / 1000);
    return result;
}

} // namespace podtap
