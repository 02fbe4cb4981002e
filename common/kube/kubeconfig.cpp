#include "kubeconfig.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <yaml-cpp/yaml.h>

namespace podtap {

namespace {

QString str(const YAML::Node &n)
{
    if (!n || !n.IsScalar())
        return {};
    return QString::fromStdString(n.as<std::string>());
}

bool boolean(const YAML::Node &n)
{
    if (!n || !n.IsScalar())
        return false;
    return n.as<bool>();
}

QStringList stringList(const YAML::Node &n)
{
    QStringList out;
    if (n && n.IsSequence())
        for (const auto &e : n)
            out << str(e);
    return out;
}

QString resolvePath(const QString &path, const QString &baseDir)
{
    if (path.isEmpty() || QDir::isAbsolutePath(path))
        return path;
    if (path.startsWith(QLatin1String("~/")))
        return QDir::homePath() + path.mid(1);
    return QDir::cleanPath(baseDir + QLatin1Char('/') + path);
}

// YAML → JSON for the opaque exec extension passed to plugins.
QJsonValue toJson(const YAML::Node &n)
{
    if (!n)
        return {};
    if (n.IsMap()) {
        QJsonObject o;
        for (const auto &kv : n)
            o.insert(str(kv.first), toJson(kv.second));
        return o;
    }
    if (n.IsSequence()) {
        QJsonArray a;
        for (const auto &e : n)
            a.append(toJson(e));
        return a;
    }
    if (n.IsScalar())
        return str(n);
    return {};
}

Result<QByteArray> base64Field(const YAML::Node &n, const QString &what)
{
    const QString s = str(n);
    if (s.isEmpty())
        return QByteArray();
    auto decoded = QByteArray::fromBase64Encoding(s.toLatin1().trimmed(),
                                                  QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return Result<QByteArray>::failure(what + QStringLiteral(" is not valid base64"));
    return *decoded;
}

QString where(const YAML::Mark &m, const QString &path)
{
    if (m.is_null())
        return path;
    return QStringLiteral("%1:%2:%3").arg(path).arg(m.line + 1).arg(m.column + 1);
}

} // namespace

Result<Kubeconfig> Kubeconfig::parse(const QByteArray &yaml, const QString &path)
{
    Kubeconfig kc;
    kc.m_files << path;
    const QString baseDir = QFileInfo(path).absolutePath();
    try {
        const YAML::Node root = YAML::Load(yaml.toStdString());
        if (root.IsNull())
            return kc; // an empty file is a valid, empty kubeconfig
        if (!root.IsMap())
            return Result<Kubeconfig>::failure(
                    QStringLiteral("%1: not a kubeconfig (expected a mapping at the top)")
                            .arg(where(root.Mark(), path)));
        kc.m_currentContext = str(root["current-context"]);

        for (const auto &e : root["clusters"]) {
            const YAML::Node c = e["cluster"];
            KubeCluster cl;
            cl.name = str(e["name"]);
            if (cl.name.isEmpty() || !c || !c.IsMap())
                return Result<Kubeconfig>::failure(
                        QStringLiteral("%1: cluster entry without a name or a cluster mapping")
                                .arg(where(e.Mark(), path)));
            cl.sourceFile = path;
            cl.server = str(c["server"]);
            auto ca = base64Field(
                    c["certificate-authority-data"],
                    QStringLiteral("cluster %1: certificate-authority-data").arg(cl.name));
            if (!ca)
                return Result<Kubeconfig>::failure(where(c.Mark(), path) + QStringLiteral(": ")
                                                   + ca.error());
            cl.certificateAuthorityData = ca.value();
            cl.certificateAuthorityFile = resolvePath(str(c["certificate-authority"]), baseDir);
            cl.insecureSkipTlsVerify = boolean(c["insecure-skip-tls-verify"]);
            cl.tlsServerName = str(c["tls-server-name"]);
            cl.proxyUrl = str(c["proxy-url"]);
            for (const auto &x : c["extensions"]) {
                if (str(x["name"]) == QLatin1String("client.authentication.k8s.io/exec"))
                    cl.execExtension = toJson(x["extension"]).toObject();
            }
            if (!kc.m_clusters.contains(cl.name))
                kc.m_clusters.insert(cl.name, cl);
        }

        for (const auto &e : root["users"]) {
            const YAML::Node u = e["user"];
            KubeUser us;
            us.name = str(e["name"]);
            if (us.name.isEmpty())
                return Result<Kubeconfig>::failure(
                        QStringLiteral("%1: user entry without a name").arg(where(e.Mark(), path)));
            us.sourceFile = path;
            if (u && u.IsMap()) {
                auto cert = base64Field(
                        u["client-certificate-data"],
                        QStringLiteral("user %1: client-certificate-data").arg(us.name));
                auto key = base64Field(u["client-key-data"],
                                       QStringLiteral("user %1: client-key-data").arg(us.name));
                if (!cert)
                    return Result<Kubeconfig>::failure(where(u.Mark(), path) + QStringLiteral(": ")
                                                       + cert.error());
                if (!key)
                    return Result<Kubeconfig>::failure(where(u.Mark(), path) + QStringLiteral(": ")
                                                       + key.error());
                us.clientCertificateData = cert.value();
                us.clientKeyData = key.value();
                us.clientCertificateFile = resolvePath(str(u["client-certificate"]), baseDir);
                us.clientKeyFile = resolvePath(str(u["client-key"]), baseDir);
                us.token = str(u["token"]);
                us.tokenFile = resolvePath(str(u["tokenFile"]), baseDir);
                us.username = str(u["username"]);
                us.password = str(u["password"]);
                us.impersonate = str(u["as"]);
                us.impersonateUid = str(u["as-uid"]);
                us.impersonateGroups = stringList(u["as-groups"]);
                if (const YAML::Node ap = u["auth-provider"]; ap && ap.IsMap())
                    us.authProvider = str(ap["name"]);
                if (const YAML::Node x = u["exec"]; x && x.IsMap()) {
                    ExecPluginConfig ex;
                    ex.command = str(x["command"]);
                    // Only a command with a path separator is relative to the kubeconfig.
                    if (ex.command.contains(QLatin1Char('/')))
                        ex.command = resolvePath(ex.command, baseDir);
                    ex.args = stringList(x["args"]);
                    for (const auto &v : x["env"])
                        ex.env.append({str(v["name"]), str(v["value"])});
                    ex.apiVersion = str(x["apiVersion"]);
                    ex.installHint = str(x["installHint"]);
                    ex.provideClusterInfo = boolean(x["provideClusterInfo"]);
                    ex.interactiveMode = str(x["interactiveMode"]);
                    ex.baseDir = baseDir;
                    us.exec = ex;
                }
            }
            if (!kc.m_users.contains(us.name))
                kc.m_users.insert(us.name, us);
        }

        for (const auto &e : root["contexts"]) {
            const YAML::Node c = e["context"];
            KubeContext ctx;
            ctx.name = str(e["name"]);
            if (ctx.name.isEmpty())
                return Result<Kubeconfig>::failure(
                        QStringLiteral("%1: context entry without a name")
                                .arg(where(e.Mark(), path)));
            if (c && c.IsMap()) {
                ctx.cluster = str(c["cluster"]);
                ctx.user = str(c["user"]);
                ctx.ns = str(c["namespace"]);
            }
            bool seen = false;
            for (const KubeContext &k : std::as_const(kc.m_contexts))
                seen = seen || k.name == ctx.name;
            if (!seen)
                kc.m_contexts.append(ctx);
        }
    } catch (const YAML::Exception &e) {
        return Result<Kubeconfig>::failure(
                QStringLiteral("%1: %2").arg(where(e.mark, path), QString::fromStdString(e.msg)));
    }
    return kc;
}

void Kubeconfig::mergeFrom(const Kubeconfig &later)
{
    // client-go's rule: the first definition of a name wins, whole entry.
    if (m_currentContext.isEmpty())
        m_currentContext = later.m_currentContext;
    for (auto it = later.m_clusters.cbegin(); it != later.m_clusters.cend(); ++it)
        if (!m_clusters.contains(it.key()))
            m_clusters.insert(it.key(), it.value());
    for (auto it = later.m_users.cbegin(); it != later.m_users.cend(); ++it)
        if (!m_users.contains(it.key()))
            m_users.insert(it.key(), it.value());
    for (const KubeContext &c : later.m_contexts) {
        if (!context(c.name))
            m_contexts.append(c);
    }
    m_files << later.m_files;
    m_warnings << later.m_warnings;
}

Result<Kubeconfig> Kubeconfig::loadFiles(const QStringList &files)
{
    Kubeconfig merged;
    QStringList seen;
    QStringList missing;
    for (const QString &f : files) {
        if (f.isEmpty())
            continue;
        const QString abs = QFileInfo(f).absoluteFilePath();
        if (seen.contains(abs))
            continue;
        seen << abs;
        QFile file(abs);
        if (!file.exists()) {
            missing << abs;
            continue;
        }
        if (!file.open(QIODevice::ReadOnly))
            return Result<Kubeconfig>::failure(
                    QStringLiteral("cannot read kubeconfig %1: %2").arg(abs, file.errorString()));
        auto one = parse(file.readAll(), abs);
        if (!one)
            return one;
        merged.mergeFrom(one.value());
    }
    if (merged.m_files.isEmpty() && !missing.isEmpty())
        merged.m_warnings << QStringLiteral("no kubeconfig found (looked for %1)")
                                     .arg(missing.join(QStringLiteral(", ")));
    return merged;
}

Result<Kubeconfig> Kubeconfig::loadFile(const QString &explicitFile)
{
    if (!QFileInfo::exists(explicitFile))
        return Result<Kubeconfig>::failure(
                QStringLiteral("kubeconfig %1 does not exist").arg(explicitFile));
    return loadFiles({explicitFile});
}

Result<Kubeconfig> Kubeconfig::loadDefault()
{
    const QByteArray env = qgetenv("KUBECONFIG");
    if (!env.isEmpty())
        return loadFiles(QString::fromLocal8Bit(env).split(QLatin1Char(':'), Qt::SkipEmptyParts));
    return loadFiles({QDir::homePath() + QStringLiteral("/.kube/config")});
}

std::optional<KubeContext> Kubeconfig::context(const QString &name) const
{
    for (const KubeContext &c : m_contexts)
        if (c.name == name)
            return c;
    return std::nullopt;
}

std::optional<KubeCluster> Kubeconfig::cluster(const QString &name) const
{
    auto it = m_clusters.constFind(name);
    if (it == m_clusters.cend())
        return std::nullopt;
    return *it;
}

std::optional<KubeUser> Kubeconfig::user(const QString &name) const
{
    auto it = m_users.constFind(name);
    if (it == m_users.cend())
        return std::nullopt;
    return *it;
}

} // namespace podtap
