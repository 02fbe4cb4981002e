#pragma once

#include "httprequest.h"
#include "objectstore.h"
#include "rbacauthorizer.h"
#include "scenario.h"

#include <QHash>
#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QSslConfiguration>

#include <optional>

class QSslServer;

namespace kubesim {

class CertAuthority;
class HttpConnection;
class PodRuntime;

// What a resource path names (k8s.io/apiserver RequestInfo).
struct RequestInfo
{
    bool isResource = false;
    QString verb, group, version, ns, resource, name, subresource;
};

// The API-server half of kubesim: TLS, authentication, RBAC, discovery, the object store and
// its REST surface, watches, ephemeral containers with PodSecurity admission, and the exec
// hand-off to the pod runtime.
class ApiServer : public QObject
{
    Q_OBJECT
public:
    ApiServer(const Scenario &scenario, CertAuthority *ca, PodRuntime *runtime,
              QObject *parent = nullptr);
    ~ApiServer() override;

    // Registers a bearer token; an expiring exec-plugin token is "<base>.exp<epoch seconds>".
    void addToken(const QString &token, const UserInfo &user);
    // Registers HTTP basic credentials (the removed --basic-auth-file authenticator).
    void addBasicUser(const QString &username, const QString &password, const UserInfo &user);
    void addPod(const ScenarioPod &pod, const QString &podIp, const QString &podIpv6);
    void finishSetup(); // deployments, services… after every pod exists

    bool listen(const QSslConfiguration &tls, const QHostAddress &address, quint16 port,
                QString *error);
    QHostAddress address() const;
    quint16 port() const;
    ObjectStore *store() { return &m_store; }

    static RequestInfo parsePath(const QByteArray &method, const QByteArray &path, bool watch);

private:
    void onConnection();
    void onRequest(kubesim::HttpConnection *conn, const kubesim::HttpRequest &req);
    void dispatch(HttpConnection *conn, const HttpRequest &req, const UserInfo &user);
    std::optional<UserInfo> authenticate(HttpConnection *conn, const HttpRequest &req) const;
    const HttpFault *matchFault(const HttpRequest &req, const UserInfo &user);

    void handleResource(HttpConnection *conn, const HttpRequest &req, const UserInfo &user,
                        const RequestInfo &info);
    void handleList(HttpConnection *conn, const HttpRequest &req, const RequestInfo &info);
    void handleWatch(HttpConnection *conn, const HttpRequest &req, const RequestInfo &info);
    void handleEphemeralUpdate(HttpConnection *conn, const HttpRequest &req,
                               const RequestInfo &info);
    void handleExec(HttpConnection *conn, const HttpRequest &req, const UserInfo &user,
                    const RequestInfo &info);
    void handleAccessReview(HttpConnection *conn, const HttpRequest &req, const UserInfo &user);
    void handleRulesReview(HttpConnection *conn, const HttpRequest &req, const UserInfo &user);

    void scheduleEphemeralStart(const QString &ns, const QString &pod,
                                const QJsonObject &container);
    void setEphemeralState(const QString &ns, const QString &pod, const QString &container,
                           const QJsonObject &state, bool started);
    bool imageAvailable(const QString &image) const;
    QString namespaceLabel(const QString &ns, const QString &key) const;

    Scenario m_scenario;
    CertAuthority *m_ca;
    PodRuntime *m_runtime;
    QSslServer *m_server = nullptr;
    ObjectStore m_store;
    RbacAuthorizer m_rbac;
    QHash<QString, UserInfo> m_tokens;
    QHash<QString, QPair<QString, UserInfo>> m_basicUsers; // username → (password, user)
    QHash<QString, UserInfo> m_expiringTokens;             // base → user
    QSet<QString> m_unauthorizedPending;
    QHash<int, int> m_faultHits;
    int m_serviceIndex = 0;
};

} // namespace kubesim
