#include "apiserver.h"

#include "admissionpolicy.h"
#include "apistatus.h"
#include "certauthority.h"
#include "discovery.h"
#include "httpconnection.h"
#include "objectfactory.h"
#include "patchapplier.h"
#include "podsecurity.h"
#include "reviewdecoder.h"
#include "selector.h"
#include "tableconverter.h"
#include "watchsession.h"

#ifdef KUBESIM_HAVE_RUNTIME
#include "capabilityexec.h"
#include "podruntime.h"
#endif

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>
#include <QSslServer>
#include <QSslSocket>
#include <QTimer>

Q_LOGGING_CATEGORY(lcApi, "kubesim.api", QtInfoMsg)

namespace kubesim {

namespace {

const QString kPods = QStringLiteral("pods");

QJsonObject stripTypeMeta(QJsonObject o)
{
    o.remove(QStringLiteral("kind"));
    o.remove(QStringLiteral("apiVersion"));
    return o;
}

QJsonObject fieldCause(const QString &reason, const QString &message, const QString &field)
{
    return {{QStringLiteral("reason"), reason},
            {QStringLiteral("message"), message},
            {QStringLiteral("field"), field}};
}

bool isSetValue(const QJsonValue &v)
{
    if (v.isUndefined() || v.isNull())
        return false;
    if (v.isObject())
        return !v.toObject().isEmpty();
    if (v.isArray())
        return !v.toArray().isEmpty();
    return true;
}

QStringList toStringList(const QJsonValue &v)
{
    QStringList out;
    const QJsonArray a = v.toArray();
    for (const auto &e : a)
        out << e.toString();
    return out;
}

bool wantsTable(const HttpRequest &req, const QString &resource)
{
    return req.header("Accept").contains("as=Table") && TableConverter::supports(resource);
}

bool includeFullObject(const HttpRequest &req)
{
    return req.queryValue(QStringLiteral("includeObject")) == QLatin1String("Object");
}

bool queryFlag(const HttpRequest &req, const QString &key)
{
    if (!req.hasQuery(key))
        return false;
    const QString v = req.queryValue(key);
    return v != QLatin1String("false") && v != QLatin1String("0");
}

} // namespace

ApiServer::ApiServer(const Scenario &scenario, CertAuthority *ca, PodRuntime *runtime,
                     QObject *parent)
    : QObject(parent)
    , m_scenario(scenario)
    , m_ca(ca)
    , m_runtime(runtime)
{
    m_rbac.setUsers(scenario.users);
    for (const QString &u : scenario.faults.unauthorizedOnce)
        m_unauthorizedPending.insert(u);
    for (const auto &ns : scenario.namespaces)
        m_store.create(QStringLiteral("namespaces"), ObjectFactory::namespaceObject(ns));
    for (const auto &node : scenario.nodes)
        m_store.create(QStringLiteral("nodes"), ObjectFactory::nodeObject(node));
}

ApiServer::~ApiServer() = default;

void ApiServer::addToken(const QString &token, const UserInfo &user)
{
    m_tokens.insert(token, user);
}

void ApiServer::addBasicUser(const QString &username, const QString &password, const UserInfo &user)
{
    m_basicUsers.insert(username, qMakePair(password, user));
}

void ApiServer::addPod(const ScenarioPod &pod, const QString &podIp, const QString &podIpv6)
{
    m_store.create(kPods, ObjectFactory::podObject(pod, podIp, podIpv6));
}

void ApiServer::finishSetup()
{
    auto matching = [this](const QString &ns, const QMap<QString, QString> &sel) {
        QList<QJsonObject> out;
        const QList<QJsonObject> pods = m_store.list(kPods, ns);
        for (const auto &p : pods) {
            const QJsonObject labels = p.value(QStringLiteral("metadata"))
                                               .toObject()
                                               .value(QStringLiteral("labels"))
                                               .toObject();
            bool ok = true;
            for (auto it = sel.constBegin(); it != sel.constEnd(); ++it)
                ok = ok && labels.value(it.key()).toString() == it.value();
            if (ok)
                out << p;
        }
        return out;
    };
    for (const auto &d : m_scenario.deployments)
        m_store.create(QStringLiteral("deployments"),
                       ObjectFactory::deploymentObject(d, matching(d.ns, d.selector)));
    for (const auto &s : m_scenario.statefulsets)
        m_store.create(QStringLiteral("statefulsets"),
                       ObjectFactory::statefulSetObject(s, matching(s.ns, s.selector)));
    for (const auto &s : m_scenario.services) {
        // Cluster IPs from the benchmarking range kubesim owns (198.19.0.0/16 half).
        const int i = ++m_serviceIndex;
        const QString ip = QStringLiteral("198.19.%1.%2").arg(240 + i / 250).arg(i % 250 + 1);
        m_store.create(QStringLiteral("services"), ObjectFactory::serviceObject(s, ip));
    }
    // The setup's history is not replayable: a watch from before now gets 410 Expired.
    m_store.compact();
}

QHostAddress ApiServer::address() const
{
    return m_server ? m_server->serverAddress() : QHostAddress();
}

bool ApiServer::listen(const QSslConfiguration &tls, const QHostAddress &address, quint16 port,
                       QString *error)
{
    m_server = new QSslServer(this);
    m_server->setSslConfiguration(tls);
    connect(m_server, &QSslServer::pendingConnectionAvailable, this, &ApiServer::onConnection);
    connect(m_server, &QSslServer::errorOccurred, this,
            [](QSslSocket *, QAbstractSocket::SocketError err) {
                qCDebug(lcApi) << "TLS connection error" << err;
            });
    if (!m_server->listen(address, port)) {
        *error = m_server->errorString();
        return false;
    }
    return true;
}

quint16 ApiServer::port() const
{
    return m_server ? m_server->serverPort() : 0;
}

void ApiServer::onConnection()
{
    while (m_server->hasPendingConnections()) {
        auto *socket = qobject_cast<QSslSocket *>(m_server->nextPendingConnection());
        if (!socket)
            continue;
        auto *conn = new HttpConnection(socket, this);
        connect(conn, &HttpConnection::requestReceived, this, &ApiServer::onRequest);
    }
}

std::optional<UserInfo> ApiServer::authenticate(HttpConnection *conn, const HttpRequest &req) const
{
    const QByteArray authz = req.header("Authorization");
    if (authz.startsWith("Bearer ")) {
        const QString token = QString::fromLatin1(authz.mid(7).trimmed());
        const auto it = m_tokens.constFind(token);
        if (it != m_tokens.constEnd())
            return *it;
        // Expiring exec-plugin token: <base>.exp<epoch>.
        const int dot = token.lastIndexOf(QStringLiteral(".exp"));
        if (dot > 0) {
            const auto base = m_tokens.constFind(token.left(dot));
            const qint64 exp = token.mid(dot + 4).toLongLong();
            if (base != m_tokens.constEnd() && exp > QDateTime::currentSecsSinceEpoch())
                return *base;
        }
        return std::nullopt; // a wrong token is not retried with the certificate
    }
    if (authz.startsWith("Basic ")) {
        // RFC 7617: base64(user-id ":" password); the user-id has no colon.
        const QByteArray decoded = QByteArray::fromBase64(authz.mid(6).trimmed());
        const qsizetype colon = decoded.indexOf(':');
        if (colon < 0)
            return std::nullopt;
        const auto it = m_basicUsers.constFind(QString::fromUtf8(decoded.left(colon)));
        if (it != m_basicUsers.constEnd() && it->first == QString::fromUtf8(decoded.mid(colon + 1)))
            return it->second;
        return std::nullopt;
    }
    const QSslCertificate peer = conn->socket()->peerCertificate();
    if (!peer.isNull() && m_ca->verify(peer.toDer())) {
        UserInfo u;
        u.name = peer.subjectInfo(QSslCertificate::CommonName).value(0);
        u.groups = peer.subjectInfo(QSslCertificate::Organization);
        if (!u.name.isEmpty())
            return u;
    }
    return std::nullopt;
}

const HttpFault *ApiServer::matchFault(const HttpRequest &req, const UserInfo &user)
{
    const QString path = QString::fromUtf8(req.path());
    for (int i = 0; i < m_scenario.faults.http.size(); ++i) {
        const HttpFault &f = m_scenario.faults.http.at(i);
        if (!path.startsWith(f.path))
            continue;
        if (!f.method.isEmpty() && f.method != QString::fromLatin1(req.method))
            continue;
        if (!f.user.isEmpty() && f.user != user.name)
            continue;
        if (f.count > 0 && m_faultHits.value(i) >= f.count)
            continue;
        m_faultHits[i] += 1;
        return &f;
    }
    return nullptr;
}

void ApiServer::onRequest(HttpConnection *conn, const HttpRequest &req)
{
    qCDebug(lcApi) << req.method << req.target << req.header("Authorization").split(' ').value(0);
    const std::optional<UserInfo> user = authenticate(conn, req);
    if (!user) {
        conn->sendJson(401, ApiStatus::unauthorized());
        return;
    }
    if (m_unauthorizedPending.remove(user->name)) {
        conn->sendJson(401, ApiStatus::unauthorized());
        return;
    }
    const HttpFault *fault = matchFault(req, *user);
    if (!fault) {
        dispatch(conn, req, *user);
        return;
    }
    const int status = fault->status;
    QPointer<HttpConnection> guard(conn);
    auto act = [this, guard, req, user = *user, status] {
        if (!guard)
            return;
        if (status != 0) {
            QList<QPair<QByteArray, QByteArray>> headers;
            if (status == 429 || status == 503)
                headers.append(qMakePair(QByteArray("Retry-After"), QByteArray("1")));
            guard->sendJson(status, ApiStatus::forCode(status), headers);
            return;
        }
        dispatch(guard, req, user);
    };
    if (fault->delayMs > 0)
        QTimer::singleShot(fault->delayMs, this, act);
    else
        act();
}

RequestInfo ApiServer::parsePath(const QByteArray &method, const QByteArray &path, bool watch)
{
    RequestInfo info;
    QStringList segs = QString::fromUtf8(path).split(QLatin1Char('/'), Qt::SkipEmptyParts);
    int idx = 0;
    if (segs.value(0) == QLatin1String("api") && segs.size() >= 3) {
        info.version = segs.value(1);
        idx = 2;
    } else if (segs.value(0) == QLatin1String("apis") && segs.size() >= 4) {
        info.group = segs.value(1);
        info.version = segs.value(2);
        idx = 3;
    } else {
        return info;
    }
    const QStringList rest = segs.mid(idx);
    if (rest.value(0) == QLatin1String("namespaces") && rest.size() >= 3) {
        info.ns = rest.value(1);
        info.resource = rest.value(2);
        info.name = rest.value(3);
        info.subresource = rest.value(4);
        if (rest.size() > 5)
            return info;
    } else if (rest.value(0) == QLatin1String("namespaces")) {
        info.resource = rest.value(0);
        info.name = rest.value(1);
        info.ns = info.name;
    } else {
        info.resource = rest.value(0);
        info.name = rest.value(1);
        info.subresource = rest.value(2);
        if (rest.size() > 3)
            return info;
    }
    info.isResource = true;
    if (method == "GET" || method == "HEAD")
        info.verb = !info.name.isEmpty() ? QStringLiteral("get")
                    : watch              ? QStringLiteral("watch")
                                         : QStringLiteral("list");
    else if (method == "POST")
        info.verb = QStringLiteral("create");
    else if (method == "PUT")
        info.verb = QStringLiteral("update");
    else if (method == "PATCH")
        info.verb = QStringLiteral("patch");
    else if (method == "DELETE")
        info.verb = info.name.isEmpty() ? QStringLiteral("deletecollection")
                                        : QStringLiteral("delete");
    else
        info.verb = QString::fromLatin1(method).toLower();
    return info;
}

void ApiServer::dispatch(HttpConnection *conn, const HttpRequest &req, const UserInfo &user)
{
    const QString path = QString::fromUtf8(req.path());
    const RequestInfo info
            = parsePath(req.method, req.path(), queryFlag(req, QStringLiteral("watch")));
    if (info.isResource) {
        handleResource(conn, req, user, info);
        return;
    }
    // Non-resource URLs.
    QString p = path;
    if (p.size() > 1 && p.endsWith(QLatin1Char('/')))
        p.chop(1);
    if (!m_rbac.nonResourceAllowed(user, p)) {
        conn->sendJson(
                403, ApiStatus::failure(
                             403, QStringLiteral("Forbidden"),
                             QStringLiteral("forbidden: User \"%1\" cannot %2 path \"%3\"")
                                     .arg(user.name, QString::fromLatin1(req.method).toLower(), p),
                             {}));
        return;
    }
    if (req.method != "GET" && req.method != "HEAD") {
        conn->sendJson(405, ApiStatus::methodNotAllowed());
        return;
    }
    QJsonObject doc;
    if (p == QLatin1String("/version"))
        doc = Discovery::version();
    else if (p == QLatin1String("/api"))
        doc = Discovery::apiVersions(QStringLiteral("%1:%2").arg(address().toString()).arg(port()));
    else if (p == QLatin1String("/apis"))
        doc = Discovery::apiGroupList();
    else if (p == QLatin1String("/api/v1"))
        doc = Discovery::resourceList(QStringLiteral("v1"));
    else if (p.startsWith(QLatin1String("/apis/"))) {
        const QStringList segs = p.split(QLatin1Char('/'), Qt::SkipEmptyParts);
        if (segs.size() == 2)
            doc = Discovery::group(segs.at(1));
        else if (segs.size() == 3)
            doc = Discovery::resourceList(segs.at(1) + QLatin1Char('/') + segs.at(2));
    } else if (p == QLatin1String("/healthz") || p == QLatin1String("/livez")
               || p == QLatin1String("/readyz")) {
        conn->sendResponse(200, "text/plain; charset=utf-8", "ok");
        return;
    }
    if (doc.isEmpty()) {
        // No OpenAPI documents: kubectl copes for get/debug/auth (it only needs them for
        // explain, apply --server-side validation and similar).
        conn->sendJson(404, ApiStatus::notFoundResource());
        return;
    }
    conn->sendJson(200, doc);
}

void ApiServer::handleResource(HttpConnection *conn, const HttpRequest &req, const UserInfo &user,
                               const RequestInfo &info)
{
    const QString kind = Discovery::kindOf(info.group, info.subresource.isEmpty()
                                                               ? info.resource
                                                               : info.resource + QLatin1Char('/')
                                                                         + info.subresource);
    if (kind.isEmpty() || info.version != QLatin1String("v1")) {
        conn->sendJson(404, ApiStatus::notFoundResource());
        return;
    }
    const bool isExec = info.resource == kPods
                        && (info.subresource == QLatin1String("exec")
                            || info.subresource == QLatin1String("attach"));
    ResourceAttributes attrs{info.verb,        info.group, info.resource,
                             info.subresource, info.ns,    info.name};
    if (attrs.name.isEmpty()
        && (info.verb == QLatin1String("list") || info.verb == QLatin1String("watch"))) {
        // apiserver requestinfo.go: a list or watch whose field selector requires one
        // metadata.name is authorised as a request for that name (resourceNames apply).
        if (const auto fields
            = Selector::parseFields(req.queryValue(QStringLiteral("fieldSelector"))))
            attrs.name = fields->exactMatch(QStringLiteral("metadata.name"));
    }
    if (!m_rbac.allowed(user, attrs)) {
        conn->sendJson(403,
                       ApiStatus::rbacForbidden(user.name, info.verb, info.group, info.resource,
                                                info.subresource, info.ns, attrs.name));
        return;
    }
    if (isExec && info.verb != QLatin1String("create")) {
        // AuthorizePodWebsocketUpgradeCreatePermission: WebSocket exec also needs create.
        attrs.verb = QStringLiteral("create");
        if (!m_rbac.allowed(user, attrs)) {
            conn->sendJson(403, ApiStatus::forbidden(kPods, info.name, QString()));
            return;
        }
    }
    const bool namespaced = Discovery::isNamespaced(info.group, info.resource);
    if (namespaced && !info.ns.isEmpty()
        && !m_store.get(QStringLiteral("namespaces"), QString(), info.ns)
        && info.verb != QLatin1String("list") && info.verb != QLatin1String("watch")) {
        // Fall through to the object's own 404, as the apiserver does.
    }

    if (info.group == QLatin1String("authorization.k8s.io")) {
        if (info.verb != QLatin1String("create")) {
            conn->sendJson(405, ApiStatus::methodNotAllowed());
            return;
        }
        if (info.resource == QLatin1String("selfsubjectaccessreviews"))
            handleAccessReview(conn, req, user);
        else
            handleRulesReview(conn, req, user);
        return;
    }
    if (isExec) {
        handleExec(conn, req, user, info);
        return;
    }
    if (info.verb == QLatin1String("list")) {
        handleList(conn, req, info);
        return;
    }
    if (info.verb == QLatin1String("watch")) {
        handleWatch(conn, req, info);
        return;
    }
    if (info.subresource == QLatin1String("ephemeralcontainers")
        && (info.verb == QLatin1String("patch") || info.verb == QLatin1String("update"))) {
        handleEphemeralUpdate(conn, req, info);
        return;
    }
    if (info.verb != QLatin1String("get")) {
        conn->sendJson(405, ApiStatus::methodNotAllowed());
        return;
    }
    const std::optional<QJsonObject> obj = m_store.get(
            info.resource, info.resource == QLatin1String("namespaces") ? QString() : info.ns,
            info.name);
    if (!obj) {
        conn->sendJson(404,
                       ApiStatus::notFound(info.group.isEmpty()
                                                   ? info.resource
                                                   : info.resource + QLatin1Char('.') + info.group,
                                           info.name));
        return;
    }
    if (info.subresource == QLatin1String("log")) {
        conn->sendResponse(200, "text/plain", QByteArray());
        return;
    }
    if (info.subresource.isEmpty() && wantsTable(req, info.resource)) {
        conn->sendJson(200, TableConverter::table(info.resource, {*obj},
                                                  QString::number(m_store.currentRv()),
                                                  includeFullObject(req)));
        return;
    }
    conn->sendJson(200, *obj);
}

void ApiServer::handleList(HttpConnection *conn, const HttpRequest &req, const RequestInfo &info)
{
    const auto labels = Selector::parseLabels(req.queryValue(QStringLiteral("labelSelector")));
    if (!labels) {
        conn->sendJson(400, ApiStatus::badRequest(labels.error()));
        return;
    }
    const auto fields = Selector::parseFields(req.queryValue(QStringLiteral("fieldSelector")));
    if (!fields) {
        conn->sendJson(400, ApiStatus::badRequest(fields.error()));
        return;
    }
    const QString ns = info.resource == QLatin1String("namespaces") ? QString() : info.ns;
    QJsonArray items;
    QList<QJsonObject> matching;
    const QList<QJsonObject> objects = m_store.list(info.resource, ns);
    for (const auto &o : objects) {
        if (labels->matchesLabels(o) && fields->matchesFields(o)) {
            items.append(stripTypeMeta(o));
            matching << o;
        }
    }
    if (wantsTable(req, info.resource)) {
        conn->sendJson(200, TableConverter::table(info.resource, matching,
                                                  QString::number(m_store.currentRv()),
                                                  includeFullObject(req)));
        return;
    }
    const QString kind = Discovery::kindOf(info.group, info.resource);
    conn->sendJson(
            200, {{QStringLiteral("kind"), QString(kind + QStringLiteral("List"))},
                  {QStringLiteral("apiVersion"),
                   info.group.isEmpty() ? QStringLiteral("v1")
                                        : QString(info.group + QStringLiteral("/v1"))},
                  {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("resourceVersion"),
                                                            QString::number(m_store.currentRv())}}},
                  {QStringLiteral("items"), items}});
}

void ApiServer::handleWatch(HttpConnection *conn, const HttpRequest &req, const RequestInfo &info)
{
    WatchOptions opt;
    opt.resource = info.resource;
    opt.ns = info.resource == QLatin1String("namespaces") ? QString() : info.ns;
    opt.kind = Discovery::kindOf(info.group, info.resource);
    opt.apiVersion = info.group.isEmpty() ? QStringLiteral("v1")
                                          : QString(info.group + QStringLiteral("/v1"));
    const auto labels = Selector::parseLabels(req.queryValue(QStringLiteral("labelSelector")));
    const auto fields = Selector::parseFields(req.queryValue(QStringLiteral("fieldSelector")));
    if (!labels || !fields) {
        conn->sendJson(400, ApiStatus::badRequest(!labels ? labels.error() : fields.error()));
        return;
    }
    opt.labels = labels.value();
    opt.fields = fields.value();
    opt.bookmarks = queryFlag(req, QStringLiteral("allowWatchBookmarks"));
    const QString rv = req.queryValue(QStringLiteral("resourceVersion"));
    opt.hasRv = !rv.isEmpty();
    if (opt.hasRv) {
        bool ok = false;
        opt.rv = rv.toLongLong(&ok);
        if (!ok) {
            conn->sendJson(400, ApiStatus::badRequest(
                                        QStringLiteral("invalid resource version: %1").arg(rv)));
            return;
        }
    }
    opt.table = wantsTable(req, info.resource);
    opt.includeObject = includeFullObject(req);
    opt.timeoutSeconds = req.queryValue(QStringLiteral("timeoutSeconds")).toInt();
    opt.expireSeconds = m_scenario.faults.watchExpireSeconds;
    auto *w = new WatchSession(conn, &m_store, opt, this);
    w->start();
}

bool ApiServer::imageAvailable(const QString &image) const
{
    const QString want = ObjectFactory::normalizeImage(image);
    for (const QString &i : m_scenario.images)
        if (ObjectFactory::normalizeImage(i) == want)
            return true;
    for (const auto &p : m_scenario.pods)
        for (const auto &c : p.containers)
            if (ObjectFactory::normalizeImage(c.image) == want)
                return true;
    return false;
}

QString ApiServer::namespaceLabel(const QString &ns, const QString &key) const
{
    const auto obj = m_store.get(QStringLiteral("namespaces"), QString(), ns);
    if (!obj)
        return {};
    return obj->value(QStringLiteral("metadata"))
            .toObject()
            .value(QStringLiteral("labels"))
            .toObject()
            .value(key)
            .toString();
}

void ApiServer::handleEphemeralUpdate(HttpConnection *conn, const HttpRequest &req,
                                      const RequestInfo &info)
{
    // ?dryRun=All: every stage (decoding, validation, admission) runs, nothing is stored
    // (apiserver handlers/patch.go; the only accepted value is "All").
    const QStringList dryRunValues = req.queryValues(QStringLiteral("dryRun"));
    for (const QString &v : dryRunValues) {
        if (v != QLatin1String("All")) {
            const QString kind = info.verb == QLatin1String("update")
                                         ? QStringLiteral("UpdateOptions")
                                         : QStringLiteral("PatchOptions");
            conn->sendJson(422, ApiStatus::failure(
                                        422, QStringLiteral("Invalid"),
                                        QStringLiteral("%1.meta.k8s.io \"\" is invalid: dryRun: "
                                                       "Unsupported value: []string{\"%2\"}: "
                                                       "supported values: \"All\"")
                                                .arg(kind, v),
                                        {{QStringLiteral("group"), QStringLiteral("meta.k8s.io")},
                                         {QStringLiteral("kind"), kind}}));
            return;
        }
    }
    const bool dryRun = !dryRunValues.isEmpty();
    const auto current = m_store.get(kPods, info.ns, info.name);
    if (!current) {
        conn->sendJson(404, ApiStatus::notFound(kPods, info.name));
        return;
    }
    QJsonParseError perr{};
    const QJsonDocument body = QJsonDocument::fromJson(req.body, &perr);
    if (perr.error != QJsonParseError::NoError) {
        conn->sendJson(400,
                       ApiStatus::badRequest(
                               QStringLiteral("error decoding patch: %1").arg(perr.errorString())));
        return;
    }
    const QByteArray ct = req.header("Content-Type").split(';').value(0).trimmed();
    QJsonObject patched;
    if (info.verb == QLatin1String("update")) {
        if (!body.isObject()) {
            conn->sendJson(400, ApiStatus::badRequest(QStringLiteral("expected a Pod object")));
            return;
        }
        const QJsonObject md = body.object().value(QStringLiteral("metadata")).toObject();
        const QString rv = md.value(QStringLiteral("resourceVersion")).toString();
        const QString curRv = current->value(QStringLiteral("metadata"))
                                      .toObject()
                                      .value(QStringLiteral("resourceVersion"))
                                      .toString();
        if (!rv.isEmpty() && rv != curRv) {
            conn->sendJson(409, ApiStatus::conflict(kPods, info.name,
                                                    QStringLiteral("the object has been modified; "
                                                                   "please apply your changes to "
                                                                   "the latest version and try "
                                                                   "again")));
            return;
        }
        patched = body.object();
    } else if (ct == "application/strategic-merge-patch+json" && body.isObject()) {
        auto r = PatchApplier::strategicMerge(*current, body.object());
        if (!r) {
            conn->sendJson(400, ApiStatus::badRequest(r.error()));
            return;
        }
        patched = r.value();
    } else if (ct == "application/merge-patch+json" && body.isObject()) {
        patched = PatchApplier::mergePatch(*current, body.object()).toObject();
    } else if (ct == "application/json-patch+json" && body.isArray()) {
        auto r = PatchApplier::jsonPatch(*current, body.array());
        if (!r) {
            conn->sendJson(422, ApiStatus::failure(422, QStringLiteral("Invalid"), r.error(), {}));
            return;
        }
        patched = r.value();
    } else if (ct == "application/strategic-merge-patch+json"
               || ct == "application/merge-patch+json" || ct == "application/json-patch+json") {
        conn->sendJson(400, ApiStatus::badRequest(
                                    QStringLiteral("error decoding patch: unexpected JSON type")));
        return;
    } else {
        conn->sendJson(415, ApiStatus::unsupportedMediaType(QString::fromLatin1(ct)));
        return;
    }

    // Only spec.ephemeralContainers is taken from the result (dropNonEphemeralContainerUpdates).
    const QJsonObject spec = current->value(QStringLiteral("spec")).toObject();
    const QJsonArray oldEph = spec.value(QStringLiteral("ephemeralContainers")).toArray();
    const QJsonArray newEph = patched.value(QStringLiteral("spec"))
                                      .toObject()
                                      .value(QStringLiteral("ephemeralContainers"))
                                      .toArray();
    QJsonArray causes;
    QStringList removed, changed;
    for (const auto &ov : oldEph) {
        const QJsonObject o = ov.toObject();
        bool found = false;
        for (const auto &nv : newEph) {
            if (nv.toObject().value(QStringLiteral("name")) == o.value(QStringLiteral("name"))) {
                found = true;
                if (nv.toObject() != o)
                    changed << o.value(QStringLiteral("name")).toString();
            }
        }
        if (!found)
            removed << o.value(QStringLiteral("name")).toString();
    }
    const QString ephField = QStringLiteral("spec.ephemeralContainers");
    for (const QString &n : std::as_const(removed))
        causes.append(fieldCause(QStringLiteral("FieldValueForbidden"),
                                 QStringLiteral("Forbidden: existing ephemeral containers \"%1\" "
                                                "may not be removed")
                                         .arg(n),
                                 ephField));
    for (const QString &n : std::as_const(changed))
        causes.append(fieldCause(QStringLiteral("FieldValueForbidden"),
                                 QStringLiteral("Forbidden: existing ephemeral containers \"%1\" "
                                                "may not be changed")
                                         .arg(n),
                                 ephField));
    QSet<QString> names;
    QSet<QString> regular;
    for (const char *f : {"containers", "initContainers"}) {
        const QJsonArray a = spec.value(QLatin1String(f)).toArray();
        for (const auto &c : a) {
            names.insert(c.toObject().value(QStringLiteral("name")).toString());
            regular.insert(c.toObject().value(QStringLiteral("name")).toString());
        }
    }
    static const char *const forbidden[]
            = {"ports",     "resources",    "livenessProbe", "readinessProbe",    "startupProbe",
               "lifecycle", "resizePolicy", "restartPolicy", "restartPolicyRules"};
    for (int i = 0; i < newEph.size(); ++i) {
        const QJsonObject c = newEph.at(i).toObject();
        const QString base = QStringLiteral("spec.ephemeralContainers[%1]").arg(i);
        const QString name = c.value(QStringLiteral("name")).toString();
        if (name.isEmpty())
            causes.append(fieldCause(QStringLiteral("FieldValueRequired"),
                                     QStringLiteral("Required value"),
                                     base + QStringLiteral(".name")));
        else if (names.contains(name))
            causes.append(fieldCause(QStringLiteral("FieldValueDuplicate"),
                                     QStringLiteral("Duplicate value: \"%1\"").arg(name),
                                     base + QStringLiteral(".name")));
        names.insert(name);
        if (c.value(QStringLiteral("image")).toString().isEmpty())
            causes.append(fieldCause(QStringLiteral("FieldValueRequired"),
                                     QStringLiteral("Required value"),
                                     base + QStringLiteral(".image")));
        for (const char *f : forbidden)
            if (isSetValue(c.value(QLatin1String(f))))
                causes.append(fieldCause(QStringLiteral("FieldValueForbidden"),
                                         QStringLiteral("Forbidden: cannot be set for an "
                                                        "Ephemeral Container"),
                                         base + QLatin1Char('.') + QLatin1String(f)));
        const QString target = c.value(QStringLiteral("targetContainerName")).toString();
        if (!target.isEmpty() && !regular.contains(target))
            causes.append(fieldCause(QStringLiteral("FieldValueNotFound"),
                                     QStringLiteral("Not found: \"%1\"").arg(target),
                                     base + QStringLiteral(".targetContainerName")));
    }
    if (!causes.isEmpty()) {
        conn->sendJson(422, ApiStatus::invalid(QStringLiteral("Pod"), info.name, causes));
        return;
    }

    QJsonObject updated = *current;
    QJsonObject newSpec = spec;
    newSpec.insert(QStringLiteral("ephemeralContainers"), newEph);
    updated.insert(QStringLiteral("spec"), newSpec);

    const QString level
            = namespaceLabel(info.ns, QStringLiteral("pod-security.kubernetes.io/enforce"));
    const QString version
            = namespaceLabel(info.ns, QStringLiteral("pod-security.kubernetes.io/enforce-version"));
    const QString violation = PodSecurity::check(level, version, updated);
    if (!violation.isEmpty()) {
        conn->sendJson(403, ApiStatus::forbidden(kPods, info.name, violation));
        return;
    }
    // Validating webhooks run after the built-in admission plugins (PodSecurity).
    if (const QString denied = AdmissionPolicy::check(m_scenario.admission, info.ns, updated);
        !denied.isEmpty()) {
        // apiserver webhookerrors.ToStatusErr: a webhook that sets no code gives 400 and no
        // reason (Kyverno sets none).
        conn->sendJson(400, ApiStatus::failure(400, QString(), denied, {}, false));
        return;
    }
    if (dryRun) {
        // Admission ran; nothing is stored and no watch event is sent. The answer is the
        // object as it would have been stored (its resourceVersion unchanged).
        conn->sendJson(200, updated);
        return;
    }

    QJsonObject status = updated.value(QStringLiteral("status")).toObject();
    QJsonArray statuses = status.value(QStringLiteral("ephemeralContainerStatuses")).toArray();
    QList<QJsonObject> started;
    for (const auto &nv : newEph) {
        const QJsonObject c = nv.toObject();
        bool known = false;
        for (const auto &ov : oldEph)
            known = known
                    || ov.toObject().value(QStringLiteral("name"))
                               == c.value(QStringLiteral("name"));
        if (known)
            continue;
        statuses.append(
                QJsonObject{{QStringLiteral("name"), c.value(QStringLiteral("name"))},
                            {QStringLiteral("state"),
                             QJsonObject{{QStringLiteral("waiting"),
                                          QJsonObject{{QStringLiteral("reason"),
                                                       QStringLiteral("ContainerCreating")}}}}},
                            {QStringLiteral("lastState"), QJsonObject()},
                            {QStringLiteral("ready"), false},
                            {QStringLiteral("restartCount"), 0},
                            {QStringLiteral("image"), c.value(QStringLiteral("image"))},
                            {QStringLiteral("imageID"), QString()}});
        started << c;
    }
    status.insert(QStringLiteral("ephemeralContainerStatuses"), statuses);
    updated.insert(QStringLiteral("status"), status);
    updated = m_store.update(kPods, updated);
    conn->sendJson(200, updated);
    for (const auto &c : std::as_const(started))
        scheduleEphemeralStart(info.ns, info.name, c);
}

void ApiServer::setEphemeralState(const QString &ns, const QString &pod, const QString &container,
                                  const QJsonObject &state, bool started)
{
    auto current = m_store.get(kPods, ns, pod);
    if (!current)
        return;
    QJsonObject status = current->value(QStringLiteral("status")).toObject();
    QJsonArray statuses = status.value(QStringLiteral("ephemeralContainerStatuses")).toArray();
    for (int i = 0; i < statuses.size(); ++i) {
        QJsonObject s = statuses.at(i).toObject();
        if (s.value(QStringLiteral("name")).toString() != container)
            continue;
        s.insert(QStringLiteral("state"), state);
        if (started) {
            const QJsonObject img
                    = ObjectFactory::imageIdFor(s.value(QStringLiteral("image")).toString());
            s.insert(QStringLiteral("image"), img.value(QStringLiteral("image")));
            s.insert(QStringLiteral("imageID"), img.value(QStringLiteral("imageID")));
            s.insert(QStringLiteral("containerID"),
                     QStringLiteral("containerd://%1")
                             .arg(QString::number(qHash(ns + pod + container), 16).repeated(4)));
            s.insert(QStringLiteral("started"), state.contains(QStringLiteral("running")));
        }
        statuses.replace(i, s);
    }
    status.insert(QStringLiteral("ephemeralContainerStatuses"), statuses);
    QJsonObject updated = *current;
    updated.insert(QStringLiteral("status"), status);
    m_store.update(kPods, updated);
}

void ApiServer::scheduleEphemeralStart(const QString &ns, const QString &pod,
                                       const QJsonObject &container)
{
    const QString name = container.value(QStringLiteral("name")).toString();
    const QString image = container.value(QStringLiteral("image")).toString();
    const int delay = m_scenario.containerStartMs;
    if (!imageAvailable(image)) {
        const QString ref = ObjectFactory::normalizeImage(image);
        QTimer::singleShot(delay, this, [this, ns, pod, name, image, ref, delay] {
            setEphemeralState(
                    ns, pod, name,
                    {{QStringLiteral("waiting"),
                      QJsonObject{{QStringLiteral("reason"), QStringLiteral("ErrImagePull")},
                                  {QStringLiteral("message"),
                                   QStringLiteral("rpc error: code = NotFound desc = failed to "
                                                  "pull and unpack image \"%1\": failed to "
                                                  "resolve reference \"%1\": %1: not found")
                                           .arg(ref)}}}},
                    false);
            QTimer::singleShot(delay * 3, this, [this, ns, pod, name, image] {
                setEphemeralState(
                        ns, pod, name,
                        {{QStringLiteral("waiting"),
                          QJsonObject{
                                  {QStringLiteral("reason"), QStringLiteral("ImagePullBackOff")},
                                  {QStringLiteral("message"),
                                   QStringLiteral("Back-off pulling image \"%1\"").arg(image)}}}},
                        false);
            });
        });
        return;
    }
#ifdef KUBESIM_HAVE_RUNTIME
    const ContainerSecurity security = CapabilityExec::securityFromJson(
            container.value(QStringLiteral("securityContext")).toObject());
    const QString uid = m_store.get(kPods, ns, pod)
                                .value_or(QJsonObject())
                                .value(QStringLiteral("metadata"))
                                .toObject()
                                .value(QStringLiteral("uid"))
                                .toString();
    const QString refused = CapabilityExec::verifyRunAsNonRoot(
            image, security, QStringLiteral("%1_%2(%3)").arg(pod, ns, uid), name);
    if (!refused.isEmpty()) {
        // The kubelet refuses the container's configuration and keeps retrying.
        QTimer::singleShot(delay, this, [this, ns, pod, name, refused] {
            setEphemeralState(ns, pod, name,
                              {{QStringLiteral("waiting"),
                                QJsonObject{{QStringLiteral("reason"),
                                             QStringLiteral("CreateContainerConfigError")},
                                            {QStringLiteral("message"), refused}}}},
                              false);
        });
        return;
    }
#endif
    QTimer::singleShot(delay, this, [this, ns, pod, name, container] {
        const QString startedAt = ObjectFactory::nowTimestamp();
        setEphemeralState(ns, pod, name,
                          {{QStringLiteral("running"),
                            QJsonObject{{QStringLiteral("startedAt"), startedAt}}}},
                          true);
        // `sleep N` ends like the real process would; `sleep infinity` keeps running.
        const QStringList cmd = toStringList(container.value(QStringLiteral("command")))
                                + toStringList(container.value(QStringLiteral("args")));
        bool finite = false;
        const double secs = cmd.size() == 2 && cmd.at(0) == QLatin1String("sleep")
                                    ? cmd.at(1).toDouble(&finite)
                                    : 0;
        if (finite && secs >= 0 && secs < 86400) {
            QTimer::singleShot(int(secs * 1000), this, [this, ns, pod, name, startedAt] {
                setEphemeralState(
                        ns, pod, name,
                        {{QStringLiteral("terminated"),
                          QJsonObject{
                                  {QStringLiteral("exitCode"), 0},
                                  {QStringLiteral("reason"), QStringLiteral("Completed")},
                                  {QStringLiteral("startedAt"), startedAt},
                                  {QStringLiteral("finishedAt"), ObjectFactory::nowTimestamp()}}}},
                        true);
            });
        }
    });
}

void ApiServer::handleExec(HttpConnection *conn, const HttpRequest &req, const UserInfo &user,
                           const RequestInfo &info)
{
    Q_UNUSED(user)
    const auto pod = m_store.get(kPods, info.ns, info.name);
    if (!pod) {
        conn->sendJson(404, ApiStatus::notFound(kPods, info.name));
        return;
    }
    const QJsonObject spec = pod->value(QStringLiteral("spec")).toObject();
    QString container = req.queryValue(QStringLiteral("container"));
    const QJsonArray containers = spec.value(QStringLiteral("containers")).toArray();
    QJsonObject found;
    QStringList regularNames, ephNames, initNames;
    for (const char *f : {"containers", "initContainers", "ephemeralContainers"}) {
        const QJsonArray a = spec.value(QLatin1String(f)).toArray();
        for (const auto &c : a) {
            const QJsonObject co = c.toObject();
            const QString n = co.value(QStringLiteral("name")).toString();
            (qstrcmp(f, "containers") == 0       ? regularNames
             : qstrcmp(f, "initContainers") == 0 ? initNames
                                                 : ephNames)
                    << n;
            if (!container.isEmpty() && n == container)
                found = co;
        }
    }
    if (container.isEmpty()) {
        if (containers.size() == 1) {
            found = containers.at(0).toObject();
            container = found.value(QStringLiteral("name")).toString();
        } else {
            QString msg = QStringLiteral("a container name must be specified for pod %1, choose "
                                         "one of: [%2]")
                                  .arg(info.name, regularNames.join(QLatin1Char(' ')));
            if (!initNames.isEmpty())
                msg += QStringLiteral(" or one of the init containers: [%1]")
                               .arg(initNames.join(QLatin1Char(' ')));
            if (!ephNames.isEmpty())
                msg += QStringLiteral(" or one of the ephemeral containers: [%1]")
                               .arg(ephNames.join(QLatin1Char(' ')));
            conn->sendJson(400, ApiStatus::badRequest(msg));
            return;
        }
    }
    if (found.isEmpty()) {
        conn->sendJson(400,
                       ApiStatus::badRequest(QStringLiteral("container %1 is not valid for pod %2")
                                                     .arg(container, info.name)));
        return;
    }
    if (!req.isWebSocketUpgrade()) {
        // SPDY (kubectl's fallback) is not emulated.
        conn->sendJson(400, ApiStatus::badRequest(QStringLiteral("Upgrade request required")));
        return;
    }
#ifdef KUBESIM_HAVE_RUNTIME
    if (!m_runtime) {
        conn->sendJson(500, ApiStatus::internalError(QStringLiteral("kubesim has no pod runtime")));
        return;
    }
    ExecRequest er;
    er.ns = info.ns;
    er.pod = info.name;
    er.container = container;
    er.image = found.value(QStringLiteral("image")).toString();
    er.argv = req.queryValues(QStringLiteral("command"));
    if (info.subresource == QLatin1String("attach")) {
        // No long-lived container processes exist: attaching starts the container's own
        // command (what `kubectl debug` without --attach=false then talks to).
        er.argv = toStringList(found.value(QStringLiteral("command")))
                  + toStringList(found.value(QStringLiteral("args")));
    }
    er.stdinEnabled = queryFlag(req, QStringLiteral("stdin"));
    er.stdoutEnabled = queryFlag(req, QStringLiteral("stdout"));
    er.stderrEnabled = queryFlag(req, QStringLiteral("stderr"));
    er.tty = queryFlag(req, QStringLiteral("tty"));
    er.security = CapabilityExec::securityFromJson(
            found.value(QStringLiteral("securityContext")).toObject());
    // The node's runtime decides the default capabilities the exec starts from.
    const QString nodeName = spec.value(QStringLiteral("nodeName")).toString();
    for (const auto &node : m_scenario.nodes)
        if (node.name == nodeName)
            er.security.runtime = node.runtime;
    QSslSocket *socket = conn->detachSocket();
    m_runtime->handleExecUpgrade(socket, req.method, req.target, req.headers, er);
#else
    conn->sendJson(500, ApiStatus::internalError(
                                QStringLiteral("kubesim was built without its pod runtime")));
#endif
}

void ApiServer::handleAccessReview(HttpConnection *conn, const HttpRequest &req,
                                   const UserInfo &user)
{
    const auto review = ReviewDecoder::decode(req.header("Content-Type"), req.body,
                                              QStringLiteral("SelfSubjectAccessReview"));
    if (!review) {
        conn->sendJson(400, ApiStatus::badRequest(review.error()));
        return;
    }
    const QJsonObject spec = review->value(QStringLiteral("spec")).toObject();
    const QJsonObject ra = spec.value(QStringLiteral("resourceAttributes")).toObject();
    bool allowed = false;
    QString reason;
    if (!ra.isEmpty()) {
        const ResourceAttributes attrs{ra.value(QStringLiteral("verb")).toString(),
                                       ra.value(QStringLiteral("group")).toString(),
                                       ra.value(QStringLiteral("resource")).toString(),
                                       ra.value(QStringLiteral("subresource")).toString(),
                                       ra.value(QStringLiteral("namespace")).toString(),
                                       ra.value(QStringLiteral("name")).toString()};
        allowed = m_rbac.allowed(user, attrs, &reason);
    } else {
        const QJsonObject nra = spec.value(QStringLiteral("nonResourceAttributes")).toObject();
        allowed = nra.value(QStringLiteral("verb")).toString() == QLatin1String("get")
                  && m_rbac.nonResourceAllowed(user, nra.value(QStringLiteral("path")).toString());
    }
    QJsonObject status{{QStringLiteral("allowed"), allowed}};
    if (allowed && !reason.isEmpty())
        status.insert(QStringLiteral("reason"), reason);
    conn->sendJson(201, {{QStringLiteral("kind"), QStringLiteral("SelfSubjectAccessReview")},
                         {QStringLiteral("apiVersion"), QStringLiteral("authorization.k8s.io/v1")},
                         {QStringLiteral("metadata"),
                          QJsonObject{{QStringLiteral("creationTimestamp"), QJsonValue::Null}}},
                         {QStringLiteral("spec"), spec},
                         {QStringLiteral("status"), status}});
}

void ApiServer::handleRulesReview(HttpConnection *conn, const HttpRequest &req,
                                  const UserInfo &user)
{
    const auto review = ReviewDecoder::decode(req.header("Content-Type"), req.body,
                                              QStringLiteral("SelfSubjectRulesReview"));
    if (!review) {
        conn->sendJson(400, ApiStatus::badRequest(review.error()));
        return;
    }
    const QJsonObject spec = review->value(QStringLiteral("spec")).toObject();
    conn->sendJson(
            201,
            {{QStringLiteral("kind"), QStringLiteral("SelfSubjectRulesReview")},
             {QStringLiteral("apiVersion"), QStringLiteral("authorization.k8s.io/v1")},
             {QStringLiteral("metadata"),
              QJsonObject{{QStringLiteral("creationTimestamp"), QJsonValue::Null}}},
             {QStringLiteral("spec"), spec},
             {QStringLiteral("status"),
              m_rbac.rulesReviewStatus(user, spec.value(QStringLiteral("namespace")).toString())}});
}

} // namespace kubesim
