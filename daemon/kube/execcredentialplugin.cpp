#include "execcredentialplugin.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>

namespace podtap {

namespace {
const QLatin1String ApiV1("client.authentication.k8s.io/v1");
const QLatin1String ApiV1beta1("client.authentication.k8s.io/v1beta1");

QString cacheKey(const QString &user, const QString &cluster)
{
    return user + QLatin1Char('\n') + cluster;
}
} // namespace

QStringList ExecCredentialPlugin::extraSearchDirs()
{
    const QString home = QDir::homePath();
    return {home + QStringLiteral("/.local/bin"),
            QStringLiteral("/usr/local/bin"),
            QStringLiteral("/usr/bin"),
            QStringLiteral("/snap/bin"),
            home + QStringLiteral("/bin"),
            home + QStringLiteral("/google-cloud-sdk/bin"),
            QStringLiteral("/usr/lib/google-cloud-sdk/bin"),
            QStringLiteral("/usr/local/aws-cli/v2/current/bin"),
            home + QStringLiteral("/.krew/bin"),
            home + QStringLiteral("/.azure-kubelogin"),
            QStringLiteral("/opt/homebrew/bin")};
}

QString ExecCredentialPlugin::findCommand(const QString &command, QStringList *searched,
                                          const QString &path)
{
    if (command.contains(QLatin1Char('/'))) {
        if (searched)
            *searched << command;
        const QFileInfo fi(command);
        return fi.isFile() && fi.isExecutable() ? fi.absoluteFilePath() : QString();
    }
    const QString pathValue = path.isEmpty() ? QString::fromLocal8Bit(qgetenv("PATH")) : path;
    const QString onPath = QStandardPaths::findExecutable(
            command, pathValue.split(QLatin1Char(':'), Qt::SkipEmptyParts));
    if (searched)
        *searched << QStringLiteral("PATH (%1)").arg(pathValue);
    if (!onPath.isEmpty())
        return onPath;
    const QStringList dirs = extraSearchDirs();
    if (searched)
        *searched << dirs;
    return QStandardPaths::findExecutable(command, dirs);
}

QByteArray ExecCredentialPlugin::execInfo(const ExecPluginConfig &config,
                                          const KubeCluster &cluster)
{
    QJsonObject spec;
    spec[QLatin1String("interactive")] = false; // a daemon never has a terminal
    if (config.provideClusterInfo) {
        QJsonObject c;
        c[QLatin1String("server")] = cluster.server;
        if (!cluster.tlsServerName.isEmpty())
            c[QLatin1String("tls-server-name")] = cluster.tlsServerName;
        if (cluster.insecureSkipTlsVerify)
            c[QLatin1String("insecure-skip-tls-verify")] = true;
        QByteArray ca = cluster.certificateAuthorityData;
        if (ca.isEmpty() && !cluster.certificateAuthorityFile.isEmpty()) {
            QFile f(cluster.certificateAuthorityFile);
            if (f.open(QIODevice::ReadOnly))
                ca = f.readAll();
        }
        if (!ca.isEmpty())
            c[QLatin1String("certificate-authority-data")] = QString::fromLatin1(ca.toBase64());
        if (!cluster.proxyUrl.isEmpty())
            c[QLatin1String("proxy-url")] = cluster.proxyUrl;
        if (!cluster.execExtension.isEmpty())
            c[QLatin1String("config")] = cluster.execExtension;
        spec[QLatin1String("cluster")] = c;
    }
    QJsonObject root;
    root[QLatin1String("kind")] = QStringLiteral("ExecCredential");
    root[QLatin1String("apiVersion")] = config.apiVersion;
    root[QLatin1String("spec")] = spec;
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

Result<ExecCredential> ExecCredentialPlugin::parseOutput(const QByteArray &out,
                                                         const QString &expectedApiVersion)
{
    QJsonParseError pe{};
    const QJsonDocument doc = QJsonDocument::fromJson(out, &pe);
    if (!doc.isObject())
        return Result<ExecCredential>::failure(
                QStringLiteral("the exec plugin did not print an ExecCredential JSON object (%1)")
                        .arg(pe.errorString()));
    const QJsonObject o = doc.object();
    const QString api = o.value(QLatin1String("apiVersion")).toString();
    if (api != expectedApiVersion)
        return Result<ExecCredential>::failure(
                QStringLiteral("exec plugin is configured to use API version %1, plugin returned "
                               "version %2")
                        .arg(expectedApiVersion, api.isEmpty() ? QStringLiteral("(none)") : api));
    if (o.value(QLatin1String("kind")).toString() != QLatin1String("ExecCredential"))
        return Result<ExecCredential>::failure(
                QStringLiteral("the exec plugin returned kind %1, expected ExecCredential")
                        .arg(o.value(QLatin1String("kind")).toString()));
    const QJsonValue statusValue = o.value(QLatin1String("status"));
    if (!statusValue.isObject())
        return Result<ExecCredential>::failure(
                QStringLiteral("the exec plugin's ExecCredential has no status"));
    const QJsonObject status = statusValue.toObject();
    ExecCredential cred;
    cred.token = status.value(QLatin1String("token")).toString();
    cred.clientCertificatePem
            = status.value(QLatin1String("clientCertificateData")).toString().toUtf8();
    cred.clientKeyPem = status.value(QLatin1String("clientKeyData")).toString().toUtf8();
    if (cred.clientCertificatePem.isEmpty() != cred.clientKeyPem.isEmpty())
        return Result<ExecCredential>::failure(
                QStringLiteral("the exec plugin returned a client certificate without its key (or "
                               "a key without its certificate)"));
    if (cred.token.isEmpty() && cred.clientCertificatePem.isEmpty())
        return Result<ExecCredential>::failure(QStringLiteral(
                "the exec plugin returned neither a token nor a client certificate"));
    const QString exp = status.value(QLatin1String("expirationTimestamp")).toString();
    if (!exp.isEmpty()) {
        cred.expiration = QDateTime::fromString(exp, Qt::ISODate);
        if (!cred.expiration.isValid())
            return Result<ExecCredential>::failure(
                    QStringLiteral(
                            "the exec plugin returned an unreadable expirationTimestamp '%1'")
                            .arg(exp));
    }
    return cred;
}

Result<ExecCredential> ExecCredentialPlugin::run(const ExecPluginConfig &config,
                                                 const KubeCluster &cluster, int timeoutMs,
                                                 const QProcessEnvironment &environment)
{
    const QProcessEnvironment base
            = environment.isEmpty() ? QProcessEnvironment::systemEnvironment() : environment;
    if (config.apiVersion != ApiV1 && config.apiVersion != ApiV1beta1)
        return Result<ExecCredential>::failure(
                QStringLiteral("exec plugin apiVersion '%1' is not supported (use %2 or %3)")
                        .arg(config.apiVersion, ApiV1, ApiV1beta1));
    if (config.interactiveMode == QLatin1String("Always"))
        return Result<ExecCredential>::failure(
                QStringLiteral("the exec plugin '%1' requires an interactive terminal "
                               "(interactiveMode: Always); "
                               "log in from a terminal first or change interactiveMode")
                        .arg(config.command));
    QStringList searched;
    const QString program
            = findCommand(config.command, &searched, base.value(QStringLiteral("PATH")));
    if (program.isEmpty()) {
        QString msg = QStringLiteral("exec plugin '%1' not found; looked in %2")
                              .arg(config.command, searched.join(QStringLiteral(", ")));
        if (!config.installHint.isEmpty())
            msg += QStringLiteral("\n") + config.installHint.trimmed();
        return Result<ExecCredential>::failure(msg);
    }
    QProcess p;
    QProcessEnvironment env = base;
    for (const auto &kv : config.env)
        env.insert(kv.first, kv.second);
    env.insert(QStringLiteral("KUBERNETES_EXEC_INFO"),
               QString::fromUtf8(execInfo(config, cluster)));
    p.setProcessEnvironment(env);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(program, config.args);
    if (!p.waitForStarted(timeoutMs))
        return Result<ExecCredential>::failure(
                QStringLiteral("exec plugin %1 could not start: %2").arg(program, p.errorString()));
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(1000);
        return Result<ExecCredential>::failure(
                QStringLiteral("exec plugin %1 did not finish within %2 s")
                        .arg(program)
                        .arg(timeoutMs / 1000));
    }
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        const QString err = QString::fromLocal8Bit(p.readAllStandardError()).trimmed().left(2000);
        return Result<ExecCredential>::failure(
                QStringLiteral("exec plugin %1 failed (exit code %2)%3")
                        .arg(program)
                        .arg(p.exitCode())
                        .arg(err.isEmpty() ? QString() : QStringLiteral(": ") + err));
    }
    return parseOutput(p.readAllStandardOutput(), config.apiVersion);
}

Result<ExecCredential> ExecCredentialPlugin::credential(const QString &userName,
                                                        const ExecPluginConfig &config,
                                                        const KubeCluster &cluster)
{
    const QString key = cacheKey(userName, cluster.name);
    auto it = m_cache.constFind(key);
    if (it != m_cache.cend() && !it->expired(QDateTime::currentDateTimeUtc()))
        return *it;
    ++m_runs;
    auto fresh = run(config, cluster, 60000, m_environment);
    if (fresh)
        m_cache.insert(key, fresh.value());
    return fresh;
}

void ExecCredentialPlugin::invalidate(const QString &userName, const QString &clusterName)
{
    m_cache.remove(cacheKey(userName, clusterName));
}

} // namespace podtap
