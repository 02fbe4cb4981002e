#include "execcredentialplugin.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>

#include <csignal>

#include <sys/types.h>
#include <unistd.h>

namespace podtap {

namespace {
const QLatin1String ApiV1("client.authentication.k8s.io/v1");
const QLatin1String ApiV1beta1("client.authentication.k8s.io/v1beta1");

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
    QString onPath = QStandardPaths::findExecutable(
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

ExecCredentialPlugin::ExecCredentialPlugin(const ExecPluginConfig &config,
                                           const KubeCluster &cluster,
                                           const QProcessEnvironment &environment, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_cluster(cluster)
    , m_environment(environment.isEmpty() ? QProcessEnvironment::systemEnvironment() : environment)
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        // The plugin's whole process group: a wrapper script's children (a `sleep`, a
        // browser login helper) would otherwise outlive it.
        if (m_process.processId() > 0)
            ::kill(-pid_t(m_process.processId()), SIGKILL);
        m_process.kill(); // finished() follows once it is reaped, after finish() below
        finish(Result<ExecCredential>::failure(
                QStringLiteral("exec plugin %1 did not finish within %2 s and was stopped")
                        .arg(m_program)
                        .arg(m_timeoutMs / 1000)));
    });
    connect(&m_process, &QProcess::finished, this, &ExecCredentialPlugin::onFinished);
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart)
            return; // crashes and exits are reported by finished()
        finish(Result<ExecCredential>::failure(QStringLiteral("exec plugin %1 could not start: %2")
                                                       .arg(m_program, m_process.errorString())));
    });
}

ExecCredentialPlugin::~ExecCredentialPlugin()
{
    m_process.disconnect(this);
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        // Reaps the killed child (SIGKILL: returns at once) rather than leaving a zombie.
        m_process.waitForFinished(1000);
    }
}

void ExecCredentialPlugin::start(Callback done)
{
    m_done = std::move(done);
    const auto failLater = [this](const QString &message) {
        QMetaObject::invokeMethod(
                this, [this, message] { finish(Result<ExecCredential>::failure(message)); },
                Qt::QueuedConnection);
    };
    if (m_config.apiVersion != ApiV1 && m_config.apiVersion != ApiV1beta1) {
        failLater(QStringLiteral("exec plugin apiVersion '%1' is not supported (use %2 or %3)")
                          .arg(m_config.apiVersion, ApiV1, ApiV1beta1));
        return;
    }
    if (m_config.interactiveMode == QLatin1String("Always")) {
        failLater(QStringLiteral("the exec plugin '%1' requires an interactive terminal "
                                 "(interactiveMode: Always); "
                                 "log in from a terminal first or change interactiveMode")
                          .arg(m_config.command));
        return;
    }
    QStringList searched;
    m_program
            = findCommand(m_config.command, &searched, m_environment.value(QStringLiteral("PATH")));
    if (m_program.isEmpty()) {
        QString msg = QStringLiteral("exec plugin '%1' not found; looked in %2")
                              .arg(m_config.command, searched.join(QStringLiteral(", ")));
        if (!m_config.installHint.isEmpty())
            msg += QStringLiteral("\n") + m_config.installHint.trimmed();
        failLater(msg);
        return;
    }
    QProcessEnvironment env = m_environment;
    for (const auto &kv : m_config.env)
        env.insert(kv.first, kv.second);
    env.insert(QStringLiteral("KUBERNETES_EXEC_INFO"),
               QString::fromUtf8(execInfo(m_config, m_cluster)));
    m_process.setProcessEnvironment(env);
    m_process.setStandardInputFile(QProcess::nullDevice());
    // Its own process group, so that a timeout stops what the plugin started too.
    m_process.setChildProcessModifier([] { ::setpgid(0, 0); });
    m_timeout.start(m_timeoutMs);
    m_process.start(m_program, m_config.args);
}

void ExecCredentialPlugin::deleteWhenStopped()
{
    if (m_process.state() == QProcess::NotRunning)
        deleteLater();
    else
        connect(&m_process, &QProcess::finished, this, &QObject::deleteLater);
}

void ExecCredentialPlugin::onFinished(int exitCode, QProcess::ExitStatus status)
{
    if (m_finished)
        return; // killed after the timeout, already reported
    m_stderr = QString::fromLocal8Bit(m_process.readAllStandardError()).trimmed().left(2000);
    if (status != QProcess::NormalExit || exitCode != 0) {
        finish(Result<ExecCredential>::failure(
                QStringLiteral("exec plugin %1 failed (%2)%3")
                        .arg(m_program,
                             status == QProcess::NormalExit
                                     ? QStringLiteral("exit code %1").arg(exitCode)
                                     : QStringLiteral("it crashed"),
                             m_stderr.isEmpty() ? QString() : QStringLiteral(": ") + m_stderr)));
        return;
    }
    auto parsed = parseOutput(m_process.readAllStandardOutput(), m_config.apiVersion);
    if (!parsed)
        parsed = Result<ExecCredential>::failure(
                QStringLiteral("exec plugin %1: %2").arg(m_program, parsed.error()));
    finish(parsed);
}

void ExecCredentialPlugin::finish(const Result<ExecCredential> &result)
{
    if (m_finished)
        return;
    m_finished = true;
    m_timeout.stop();
    if (m_done)
        std::exchange(m_done, {})(result);
}

} // namespace podtap
