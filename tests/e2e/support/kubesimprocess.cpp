#include "kubesimprocess.h"

#include "trafficgencommand.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonDocument>

#include <unistd.h>

KubesimProcess::~KubesimProcess()
{
    stop();
}

QString KubesimProcess::program()
{
    return QStringLiteral(BINDIR "/tests/kubesim/podtap-kubesim");
}

QString KubesimProcess::skipReason(const QStringList &alsoNeeded)
{
    if (geteuid() != 0)
        return QStringLiteral("kubesim's pods are network namespaces: this test needs root");
    for (const QString &bin : QStringList{program(), TrafficgenCommand::program()} + alsoNeeded)
        if (!QFile::exists(bin))
            return bin + QStringLiteral(" was not built");
    return {};
}

bool KubesimProcess::start(const QString &scenario, const QString &workDir, QString *error,
                           const QStringList &extraArgs)
{
    m_kubeconfig = workDir + QStringLiteral("/kubeconfig");
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process.start(program(),
                    QStringList{QStringLiteral("--scenario"), scenario,
                                QStringLiteral("--kubeconfig-out"), m_kubeconfig,
                                QStringLiteral("--port"), QStringLiteral("0"),
                                QStringLiteral("--state-dir"), workDir + QStringLiteral("/state"),
                                QStringLiteral("--require-runtime")}
                            + extraArgs);
    if (!m_process.waitForStarted()) {
        *error = QStringLiteral("podtap-kubesim did not start: ") + m_process.errorString();
        return false;
    }
    const QDeadlineTimer deadline(15000);
    while (!m_process.canReadLine() && m_process.state() == QProcess::Running
           && !deadline.hasExpired())
        m_process.waitForReadyRead(100);
    const QByteArray ready = m_process.readLine();
    if (!ready.startsWith("kubesim ready https://")) {
        *error = QStringLiteral("no ready line from podtap-kubesim (got \"%1\")")
                         .arg(QString::fromUtf8(ready.trimmed()));
        return false;
    }
    return true;
}

void KubesimProcess::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(15000)) {
        m_process.kill();
        m_process.waitForFinished();
    }
}

QString KubesimProcess::netns(const QString &slot) const
{
    return QStringLiteral("ksim%1-%2").arg(pid()).arg(slot);
}

QByteArray KubesimProcess::KubectlResult::failure() const
{
    QByteArray what = "kubectl " + args.join(QLatin1Char(' ')).toUtf8() + ": ";
    if (exitCode < 0)
        what += "did not finish";
    else if (exitCode != 0)
        what += "exit " + QByteArray::number(exitCode);
    else if (!jsonError.isEmpty())
        what += "exit 0 but stdout is not a JSON object (" + jsonError.toUtf8()
                + "): " + out.left(200);
    else
        what += "exit 0";
    if (!err.trimmed().isEmpty())
        what += ": " + err.trimmed();
    return what;
}

KubesimProcess::KubectlResult KubesimProcess::kubectl(const QStringList &args,
                                                      const QString &context) const
{
    KubectlResult r;
    r.args = args;
    QProcess p;
    p.start(QStringLiteral("kubectl"), QStringList{QStringLiteral("--kubeconfig"), m_kubeconfig,
                                                   QStringLiteral("--context"), context}
                                               + args);
    if (!p.waitForStarted()) {
        r.err = "kubectl did not start: " + p.errorString().toUtf8();
        return r;
    }
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        r.err = "kubectl did not finish within 30 s";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

KubesimProcess::KubectlResult KubesimProcess::kubectlJson(const QStringList &args,
                                                          const QString &context) const
{
    KubectlResult r
            = kubectl(args + QStringList{QStringLiteral("-o"), QStringLiteral("json")}, context);
    if (r.exitCode != 0)
        return r;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &error);
    if (error.error != QJsonParseError::NoError)
        r.jsonError = error.errorString();
    else if (!doc.isObject())
        r.jsonError = QStringLiteral("not an object");
    else
        r.json = doc.object();
    return r;
}

QByteArray KubesimProcess::expectKubectlFailure(const QStringList &args,
                                                const QString &expectedStderrFragment,
                                                const QString &context) const
{
    const KubectlResult r = kubectl(args, context);
    if (r.exitCode == 0)
        return "kubectl " + args.join(QLatin1Char(' ')).toUtf8()
               + ": succeeded where a failure was expected: " + r.out.left(200);
    if (r.exitCode < 0) // a timeout or a crash is not the refusal the test is about
        return r.failure();
    if (!QString::fromUtf8(r.err).contains(expectedStderrFragment))
        return r.failure() + " (expected \"" + expectedStderrFragment.toUtf8() + "\" in stderr)";
    return {};
}
