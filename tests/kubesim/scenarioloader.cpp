#include "scenarioloader.h"

#include <QFile>
#include <QSet>

#include <yaml-cpp/yaml.h>

#include <stdexcept>
#include <string>

namespace kubesim {

namespace {

// Thrown inside the loader only; converted to a Result at the boundary.
struct LoadError : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

std::string lineOf(const YAML::Node &n)
{
    return "line " + std::to_string(n.Mark().line + 1);
}

[[noreturn]] void fail(const YAML::Node &n, const std::string &what)
{
    throw LoadError(lineOf(n) + ": " + what);
}

void checkKeys(const YAML::Node &n, const char *what, std::initializer_list<const char *> allowed)
{
    if (!n.IsMap())
        fail(n, std::string(what) + " must be a mapping");
    for (const auto &kv : n) {
        const std::string key = kv.first.as<std::string>();
        bool ok = false;
        for (const char *a : allowed)
            ok = ok || key == a;
        if (!ok) {
            std::string list;
            for (const char *a : allowed)
                list += (list.empty() ? "" : ", ") + std::string(a);
            // NOLINTNEXTLINE(performance-inefficient-string-concatenation): fail() throws: once
            fail(kv.first, "unknown key \"" + key + "\" in " + what + " (known: " + list + ")");
        }
    }
}

QString str(const YAML::Node &n, const char *what)
{
    if (!n.IsScalar())
        fail(n, std::string(what) + " must be a scalar");
    return QString::fromStdString(n.as<std::string>());
}

QString reqStr(const YAML::Node &parent, const char *key, const char *what)
{
    const YAML::Node n = parent[key];
    if (!n)
        fail(parent, std::string(what) + " needs \"" + key + "\"");
    return str(n, key);
}

QString optStr(const YAML::Node &parent, const char *key, const QString &def = {})
{
    const YAML::Node n = parent[key];
    return n ? str(n, key) : def;
}

template<typename T>
T num(const YAML::Node &parent, const char *key, T def)
{
    const YAML::Node n = parent[key];
    if (!n)
        return def;
    try {
        return n.as<T>();
    } catch (const YAML::Exception &) {
        fail(n, std::string(key) + " must be a number");
    }
}

bool boolean(const YAML::Node &parent, const char *key, bool def)
{
    const YAML::Node n = parent[key];
    if (!n)
        return def;
    try {
        return n.as<bool>();
    } catch (const YAML::Exception &) {
        fail(n, std::string(key) + " must be true or false");
    }
}

QStringList strList(const YAML::Node &parent, const char *key)
{
    QStringList out;
    const YAML::Node n = parent[key];
    if (!n)
        return out;
    if (n.IsScalar())
        return {str(n, key)};
    if (!n.IsSequence())
        fail(n, std::string(key) + " must be a list");
    for (const auto &e : n)
        out << str(e, key);
    return out;
}

QMap<QString, QString> strMap(const YAML::Node &parent, const char *key)
{
    QMap<QString, QString> out;
    const YAML::Node n = parent[key];
    if (!n)
        return out;
    if (!n.IsMap())
        fail(n, std::string(key) + " must be a mapping");
    for (const auto &kv : n)
        out.insert(str(kv.first, key), str(kv.second, key));
    return out;
}

YAML::Node seq(const YAML::Node &root, const char *key)
{
    const YAML::Node n = root[key];
    if (n && !n.IsSequence())
        fail(n, std::string(key) + " must be a list");
    return n;
}

ScenarioPort parsePort(const YAML::Node &n, bool service)
{
    ScenarioPort p;
    if (service) {
        checkKeys(n, "service port", {"name", "port", "targetPort", "protocol"});
        p.port = num<int>(n, "port", 0);
        if (p.port <= 0 || p.port > 65535)
            fail(n, "service port needs \"port\" between 1 and 65535");
        const YAML::Node tp = n["targetPort"];
        p.targetPort = p.port;
        if (tp) {
            try {
                p.targetPort = tp.as<int>();
            } catch (const YAML::Exception &) {
                p.targetPort = 0;
                p.targetPortName = str(tp, "targetPort");
            }
        }
    } else {
        checkKeys(n, "container port", {"name", "containerPort", "protocol"});
        p.port = num<int>(n, "containerPort", 0);
        if (p.port <= 0 || p.port > 65535)
            fail(n, "container port needs \"containerPort\" between 1 and 65535");
    }
    p.name = optStr(n, "name");
    p.protocol = optStr(n, "protocol", QStringLiteral("TCP"));
    return p;
}

Scenario parse(const YAML::Node &root)
{
    Scenario s;
    if (root.IsNull())
        return s;
    checkKeys(root, "scenario",
              {"images", "nodes", "namespaces", "pods", "deployments", "statefulsets", "services",
               "users", "faults", "containerStartMs", "admission"});
    s.images = strList(root, "images");
    s.containerStartMs = num<int>(root, "containerStartMs", 300);

    if (const YAML::Node list = seq(root, "nodes")) {
        for (const auto &n : list) {
            checkKeys(n, "node", {"name", "runtime", "runtimeVersion"});
            ScenarioNode node;
            node.name = reqStr(n, "name", "node");
            node.runtime = optStr(n, "runtime", QStringLiteral("containerd"));
            if (node.runtime != QLatin1String("containerd")
                && node.runtime != QLatin1String("cri-o"))
                fail(n, "node runtime must be containerd or cri-o");
            node.runtimeVersion = optStr(n, "runtimeVersion");
            if (!node.runtimeVersion.isEmpty()
                && !node.runtimeVersion.startsWith(node.runtime + QStringLiteral("://")))
                fail(n, "runtimeVersion must start with " + node.runtime.toStdString() + "://");
            for (const auto &other : std::as_const(s.nodes))
                if (other.name == node.name)
                    fail(n, "duplicate node " + node.name.toStdString());
            s.nodes << node;
        }
    }
    if (s.nodes.isEmpty())
        s.nodes << ScenarioNode{};

    QSet<QString> nsNames;
    if (const YAML::Node list = seq(root, "namespaces")) {
        for (const auto &n : list) {
            checkKeys(n, "namespace", {"name", "labels"});
            ScenarioNamespace ns;
            ns.name = reqStr(n, "name", "namespace");
            ns.labels = strMap(n, "labels");
            if (nsNames.contains(ns.name))
                fail(n, "duplicate namespace " + ns.name.toStdString());
            nsNames.insert(ns.name);
            s.namespaces << ns;
        }
    }
    if (!nsNames.contains(QStringLiteral("default"))) {
        s.namespaces.prepend({QStringLiteral("default"), {}});
        nsNames.insert(QStringLiteral("default"));
    }
    auto requireNs = [&](const YAML::Node &n, const QString &ns) {
        if (!nsNames.contains(ns))
            fail(n, "namespace \"" + ns.toStdString() + "\" is not declared under namespaces");
    };

    QSet<QString> podKeys;
    if (const YAML::Node list = seq(root, "pods")) {
        for (const auto &n : list) {
            checkKeys(n, "pod",
                      {"name", "namespace", "node", "labels", "annotations", "containers",
                       "workload", "sidecar", "traffic"});
            ScenarioPod p;
            p.name = reqStr(n, "name", "pod");
            // Without `node:` a pod runs on the first node.
            p.node = optStr(n, "node", s.nodes.first().name);
            bool nodeKnown = false;
            for (const auto &node : std::as_const(s.nodes)) {
                if (node.name == p.node) {
                    nodeKnown = true;
                    p.nodeRuntime = node.runtime;
                }
            }
            if (!nodeKnown)
                fail(n, "node \"" + p.node.toStdString() + "\" is not declared under nodes");
            p.ns = optStr(n, "namespace", QStringLiteral("default"));
            requireNs(n, p.ns);
            p.labels = strMap(n, "labels");
            p.annotations = strMap(n, "annotations");
            const YAML::Node cs = seq(n, "containers");
            if (!cs || cs.size() == 0)
                fail(n, "pod needs at least one container");
            for (const auto &c : cs) {
                checkKeys(c, "container", {"name", "image", "ports", "securityContext"});
                ScenarioContainer sc;
                sc.name = reqStr(c, "name", "container");
                sc.image = reqStr(c, "image", "container");
                if (const YAML::Node ctx = c["securityContext"]) {
                    checkKeys(ctx, "securityContext", {"runAsNonRoot", "runAsUser"});
                    if (ctx["runAsNonRoot"])
                        sc.runAsNonRoot = boolean(ctx, "runAsNonRoot", false);
                    if (ctx["runAsUser"])
                        sc.runAsUser = num<qint64>(ctx, "runAsUser", 0);
                }
                if (const YAML::Node ports = seq(c, "ports"))
                    for (const auto &pn : ports)
                        sc.ports << parsePort(pn, false);
                p.containers << sc;
            }
            if (const YAML::Node w = n["workload"]) {
                checkKeys(w, "workload", {"kind", "port"});
                p.workload.kind = reqStr(w, "kind", "workload");
                if (p.workload.kind != QLatin1String("http-echo")
                    && p.workload.kind != QLatin1String("rest")
                    && p.workload.kind != QLatin1String("nginx")
                    && p.workload.kind != QLatin1String("grpc")
                    && p.workload.kind != QLatin1String("none"))
                    fail(w, "workload kind must be http-echo, rest, nginx, grpc or none");
                p.workload.port = num<int>(w, "port", 0);
                if (p.workload.kind != QLatin1String("none")
                    && (p.workload.port <= 0 || p.workload.port > 65535))
                    fail(w, "http-echo, rest, nginx and grpc workloads need a port between 1 "
                            "and 65535");
            }
            if (const YAML::Node sc = n["sidecar"]) {
                checkKeys(sc, "sidecar", {"kind", "port"});
                ScenarioSidecar side;
                side.kind = reqStr(sc, "kind", "sidecar");
                if (side.kind != QLatin1String("tls-terminator"))
                    fail(sc, "sidecar kind must be tls-terminator");
                side.port = num<int>(sc, "port", 15006);
                if (side.port <= 0 || side.port > 65535)
                    fail(sc, "sidecar port must be between 1 and 65535");
                if (p.workload.kind == QLatin1String("none") || p.workload.port == 0)
                    fail(sc, "a sidecar forwards to the pod's workload: give the pod a workload "
                             "with a port");
                if (side.port == p.workload.port)
                    fail(sc, "the sidecar port must differ from the workload port");
                p.sidecar = side;
            }
            if (const YAML::Node t = n["traffic"]) {
                checkKeys(t, "traffic", {"ratePerSecond", "requestSize", "connections"});
                ScenarioTraffic tr;
                tr.ratePerSecond = num<double>(t, "ratePerSecond", 0);
                tr.requestSize = num<int>(t, "requestSize", 0);
                tr.connections = num<int>(t, "connections", 0);
                p.traffic = tr;
                if (p.sidecar)
                    fail(t, "traffic speaks plaintext HTTP, but the sidecar takes TLS on the pod "
                            "port: drive a sidecar pod with a TLS client (curl -k https://…)");
                if (p.workload.kind == QLatin1String("grpc"))
                    fail(t, "traffic speaks HTTP/1.1, not gRPC: drive a grpc pod with a gRPC "
                            "client (tests/kubesim/grpc/catalog_client.py)");
            }
            const QString key = p.ns + QLatin1Char('/') + p.name;
            if (podKeys.contains(key))
                fail(n, "duplicate pod " + key.toStdString());
            podKeys.insert(key);
            s.pods << p;
        }
    }

    auto parseWorkloads = [&](const char *key, QList<ScenarioWorkloadObject> &out) {
        if (const YAML::Node list = seq(root, key)) {
            for (const auto &n : list) {
                checkKeys(n, key, {"name", "namespace", "replicas", "selector"});
                ScenarioWorkloadObject w;
                w.name = reqStr(n, "name", key);
                w.ns = optStr(n, "namespace", QStringLiteral("default"));
                requireNs(n, w.ns);
                w.replicas = num<int>(n, "replicas", 1);
                w.selector = strMap(n, "selector");
                if (w.selector.isEmpty())
                    fail(n, std::string(key) + " needs a non-empty selector");
                out << w;
            }
        }
    };
    parseWorkloads("deployments", s.deployments);
    parseWorkloads("statefulsets", s.statefulsets);

    if (const YAML::Node list = seq(root, "services")) {
        for (const auto &n : list) {
            checkKeys(n, "service", {"name", "namespace", "selector", "ports"});
            ScenarioService sv;
            sv.name = reqStr(n, "name", "service");
            sv.ns = optStr(n, "namespace", QStringLiteral("default"));
            requireNs(n, sv.ns);
            sv.selector = strMap(n, "selector");
            if (const YAML::Node ports = seq(n, "ports"))
                for (const auto &pn : ports)
                    sv.ports << parsePort(pn, true);
            s.services << sv;
        }
    }

    QSet<QString> userNames;
    if (const YAML::Node list = seq(root, "users")) {
        for (const auto &n : list) {
            checkKeys(n, "user",
                      {"name", "auth", "token", "username", "password", "keyType", "groups",
                       "execTokenTtlSeconds", "rules"});
            ScenarioUser u;
            u.name = reqStr(n, "name", "user");
            u.auth = reqStr(n, "auth", "user");
            static const QStringList kinds = {
                    QStringLiteral("client-cert"), QStringLiteral("token"), QStringLiteral("basic"),
                    QStringLiteral("exec-v1"), QStringLiteral("exec-v1beta1")};
            if (!kinds.contains(u.auth))
                fail(n["auth"],
                     "auth must be one of client-cert, token, basic, exec-v1, exec-v1beta1");
            u.token = optStr(n, "token");
            u.username = optStr(n, "username", u.name);
            u.password = optStr(n, "password");
            if (u.auth == QLatin1String("basic") && u.password.isEmpty())
                fail(n, "a basic user needs a password");
            u.keyType = optStr(n, "keyType", QStringLiteral("ec"));
            if (u.keyType != QLatin1String("ec") && u.keyType != QLatin1String("rsa"))
                fail(n["keyType"], "keyType must be ec or rsa");
            u.groups = strList(n, "groups");
            u.execTokenTtlSeconds = num<int>(n, "execTokenTtlSeconds", 0);
            if (const YAML::Node rules = seq(n, "rules")) {
                for (const auto &r : rules) {
                    checkKeys(r, "rule",
                              {"namespace", "namespaces", "apiGroups", "resources", "verbs",
                               "resourceNames"});
                    ScenarioRule rule;
                    rule.namespaces = strList(r, "namespaces") + strList(r, "namespace");
                    rule.apiGroups = strList(r, "apiGroups");
                    if (!r["apiGroups"])
                        rule.apiGroups = {QString()};
                    rule.resources = strList(r, "resources");
                    rule.verbs = strList(r, "verbs");
                    rule.resourceNames = strList(r, "resourceNames");
                    if (rule.verbs.isEmpty() || rule.resources.isEmpty())
                        fail(r, "rule needs verbs and resources");
                    u.rules << rule;
                }
            }
            if (userNames.contains(u.name))
                fail(n, "duplicate user " + u.name.toStdString());
            userNames.insert(u.name);
            s.users << u;
        }
    }

    if (const YAML::Node f = root["faults"]) {
        checkKeys(f, "faults", {"http", "unauthorizedOnce", "watchExpireSeconds", "exec"});
        if (const YAML::Node list = seq(f, "http")) {
            for (const auto &n : list) {
                checkKeys(n, "http fault",
                          {"path", "method", "user", "delayMs", "status", "count"});
                HttpFault h;
                h.path = reqStr(n, "path", "http fault");
                h.method = optStr(n, "method").toUpper();
                h.user = optStr(n, "user");
                h.delayMs = num<int>(n, "delayMs", 0);
                h.status = num<int>(n, "status", 0);
                h.count = num<int>(n, "count", 0);
                if (h.status != 0 && (h.status < 400 || h.status > 599))
                    fail(n, "fault status must be 4xx or 5xx");
                s.faults.http << h;
            }
        }
        s.faults.unauthorizedOnce = strList(f, "unauthorizedOnce");
        for (const QString &u : std::as_const(s.faults.unauthorizedOnce))
            if (!userNames.contains(u))
                fail(f["unauthorizedOnce"], "unknown user " + u.toStdString());
        s.faults.watchExpireSeconds = num<int>(f, "watchExpireSeconds", 0);
        if (const YAML::Node list = seq(f, "exec")) {
            for (const auto &n : list) {
                checkKeys(n, "exec fault",
                          {"namespace", "pod", "cutAfterBytes", "cutAfterMs", "stall",
                           "dropPackets"});
                ExecFault e;
                e.ns = optStr(n, "namespace", QStringLiteral("default"));
                e.pod = reqStr(n, "pod", "exec fault");
                if (!podKeys.contains(e.ns + QLatin1Char('/') + e.pod))
                    fail(n, "exec fault names an unknown pod");
                e.cutAfterBytes = num<qint64>(n, "cutAfterBytes", -1);
                e.cutAfterMs = num<int>(n, "cutAfterMs", -1);
                e.stall = boolean(n, "stall", false);
                if (const YAML::Node d = n["dropPackets"]) {
                    checkKeys(d, "dropPackets", {"port", "every", "ordinals", "max", "log"});
                    e.dropPort = num<int>(d, "port", 0);
                    if (e.dropPort < 1 || e.dropPort > 65535)
                        fail(d, "dropPackets needs a port 1-65535");
                    e.dropEvery = num<int>(d, "every", 0);
                    if (const YAML::Node o = d["ordinals"]) {
                        if (!o.IsSequence())
                            fail(o, "ordinals must be a list");
                        for (const auto &x : o) {
                            const qint64 v = x.as<qint64>(-1);
                            if (v < 0)
                                fail(x, "ordinals must be non-negative integers");
                            e.dropOrdinals << v;
                        }
                    }
                    e.dropMax = num<int>(d, "max", 64);
                    e.dropLog = optStr(d, "log");
                    if (e.dropEvery < 0 || e.dropMax < 0
                        || (e.dropEvery == 0 && e.dropOrdinals.isEmpty()))
                        fail(d, "dropPackets needs every > 0 or ordinals");
                }
                s.faults.exec << e;
            }
        }
    }
    if (const YAML::Node list = seq(root, "admission")) {
        for (const auto &n : list) {
            checkKeys(n, "admission policy", {"kind", "namespaces", "webhook", "policy", "rule"});
            ScenarioAdmissionPolicy a;
            a.kind = optStr(n, "kind", a.kind);
            if (a.kind != QLatin1String("requireRunAsNonRoot"))
                fail(n, "admission policy kind must be requireRunAsNonRoot");
            a.namespaces = strList(n, "namespaces");
            a.webhook = optStr(n, "webhook", a.webhook);
            a.policy = optStr(n, "policy", a.policy);
            a.rule = optStr(n, "rule", a.rule);
            s.admission << a;
        }
    }
    return s;
}

} // namespace

podtap::Result<Scenario> ScenarioLoader::loadFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return podtap::Result<Scenario>::failure(
                QStringLiteral("cannot read scenario %1: %2").arg(path, f.errorString()));
    return loadData(f.readAll(), path);
}

podtap::Result<Scenario> ScenarioLoader::loadData(const QByteArray &yaml, const QString &origin)
{
    try {
        const YAML::Node root = YAML::Load(yaml.toStdString());
        return parse(root);
    } catch (const LoadError &e) {
        return podtap::Result<Scenario>::failure(origin + QStringLiteral(": ")
                                                 + QString::fromStdString(e.what()));
    } catch (const YAML::Exception &e) {
        return podtap::Result<Scenario>::failure(origin + QStringLiteral(": ")
                                                 + QString::fromStdString(e.what()));
    }
}

} // namespace kubesim
