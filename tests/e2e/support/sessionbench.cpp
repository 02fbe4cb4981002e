#include "sessionbench.h"

#include "jsonhelpers.h"
#include "trafficgencommand.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTest>

SessionBench::~SessionBench()
{
    stop();
}

QString SessionBench::skipReason()
{
    return KubesimProcess::skipReason({CliRunner::podtap(), PodtapdProcess::program()});
}

bool SessionBench::start(const QString &scenario, QString *error)
{
    if (!m_dir.isValid()) {
        *error = QStringLiteral("no temporary folder: ") + m_dir.errorString();
        return false;
    }
    if (!m_podtapd.prepare(m_dir.path())) {
        *error = QStringLiteral("cannot create the runtime folder in ") + m_dir.path();
        return false;
    }
    return m_kubesim.start(scenario, m_dir.path(), error);
}

bool SessionBench::startDaemon(QString *error)
{
    return m_podtapd.start(environment(), error)
           && m_podtapd.waitUntilAnswering(environment(), error);
}

void SessionBench::setEnvironment(const QString &name, const QString &value)
{
    m_extra.insert(name, value);
}

QProcessEnvironment SessionBench::environment() const
{
    QProcessEnvironment env = m_podtapd.environment(m_kubesim.kubeconfig());
    env.insert(m_extra);
    return env;
}

void SessionBench::keep(const QString &name, const QByteArray &content)
{
    QFile f(m_dir.filePath(name));
    if (f.open(QIODevice::WriteOnly | QIODevice::Append))
        f.write(content);
}

SessionBench::Run SessionBench::tool(const QString &program, const QStringList &args, int timeoutMs)
{
    return CliRunner::run(program, args, environment(), timeoutMs);
}

SessionBench::Run SessionBench::podtap(const QStringList &args, int timeoutMs)
{
    const Run r = tool(CliRunner::podtap(), args, timeoutMs);
    // Every CLI run's stderr goes to cli.log (kept with the test's files when a case fails).
    keep(QStringLiteral("cli.log"), CliRunner::transcript(QStringLiteral("podtap"), args, r));
    return r;
}

QMap<QString, QString> SessionBench::podIps(const QString &ns, QString *error)
{
    QMap<QString, QString> ips;
    const Run pods
            = podtap({QStringLiteral("pods"), QStringLiteral("-n"), ns, QStringLiteral("--json"),
                      QStringLiteral("--context"), QStringLiteral("tapper")});
    if (pods.code != 0) {
        *error = QString::fromUtf8(pods.err);
        return ips;
    }
    for (const QJsonValue p : QJsonDocument::fromJson(pods.out)[QLatin1String("pods")].toArray())
        ips.insert(p[QLatin1String("name")].toString(), p[QLatin1String("ip")].toString());
    if (ips.isEmpty())
        *error = QString::fromUtf8(pods.out);
    return ips;
}

QJsonObject SessionBench::sessionList()
{
    const Run r = tool(
            CliRunner::podtap(),
            {QStringLiteral("sessions"), QStringLiteral("--json"), QStringLiteral("--no-start")},
            30000);
    return r.code == 0 ? QJsonDocument::fromJson(r.out).object() : QJsonObject();
}

QJsonObject SessionBench::liveSummary(const QString &id)
{
    for (const QJsonValue s : sessionList().value(QLatin1String("sessions")).toArray())
        if (s[QLatin1String("id")].toString() == id)
            return s.toObject();
    return {};
}

QJsonObject SessionBench::waitSummary(const QString &id, const char *watched, int timeoutMs,
                                      const std::function<bool(const QJsonObject &, qint64)> &done,
                                      bool *settled)
{
    QElapsedTimer t, quiet;
    t.start();
    quiet.start();
    QJsonObject s, last;
    while (t.elapsed() < timeoutMs) {
        s = liveSummary(id);
        const QJsonObject w = podtap::test::at(s, watched).toObject();
        if (w != last) {
            last = w;
            quiet.restart();
        }
        if (done(s, quiet.elapsed())) {
            if (settled)
                *settled = true;
            return s;
        }
        QTest::qWait(250);
    }
    if (settled)
        *settled = false;
    return s;
}

QProcess *SessionBench::startServer(const QString &name, const QStringList &args, quint16 *port)
{
    auto *p = new QProcess;
    m_children << p;
    p->setStandardErrorFile(m_dir.filePath(name + QStringLiteral(".stderr")));
    *port = TrafficgenCommand::serve(
            p, QStringList{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")} + args);
    return p;
}

QProcess *SessionBench::startClient(const QString &slot, const QStringList &args)
{
    auto *p = new QProcess;
    m_children << p;
    p->start(QStringLiteral("ip"), TrafficgenCommand::clientInNetns(m_kubesim.netns(slot), args));
    p->waitForStarted(); // state() is Running from here on, until the client ends
    return p;
}

bool SessionBench::finishClient(QProcess *client, const QString &name, int timeoutMs, QString *why)
{
    if (!client->waitForFinished(timeoutMs)) {
        *why = name + QStringLiteral(" did not end");
        return false;
    }
    const QByteArray out = client->readAllStandardOutput();
    const QByteArray err = client->readAllStandardError();
    keep(name + QStringLiteral(".out"), out + err);
    if (client->exitStatus() == QProcess::NormalExit && client->exitCode() == 0)
        return true;
    *why = name + QStringLiteral(": ") + QString::fromUtf8(out + err);
    return false;
}

void SessionBench::cleanupCase(const char *what)
{
    // A case that failed half-way leaves no session behind to capture the next one's traffic.
    if (m_podtapd.isRunning()) {
        for (const QJsonValue s : sessionList().value(QLatin1String("sessions")).toArray()) {
            const QString state = s[QLatin1String("state")].toString();
            if (state != QLatin1String("stopped") && state != QLatin1String("failed"))
                podtap({QStringLiteral("stop"), s[QLatin1String("id")].toString(),
                        QStringLiteral("--no-start")});
        }
    }
    for (QProcess *p : std::as_const(m_children))
        CliRunner::stop(p);
    qDeleteAll(m_children);
    m_children.clear();
    if (QTest::currentTestFailed() && m_dir.autoRemove()) {
        m_dir.setAutoRemove(false);
        qWarning("kept the test's files (%s) in %s", what, qPrintable(m_dir.path()));
        m_podtapd.printLogTail();
    }
}

void SessionBench::stop()
{
    for (QProcess *p : std::as_const(m_children))
        CliRunner::stop(p);
    qDeleteAll(m_children);
    m_children.clear();
    m_podtapd.terminate();
    m_kubesim.stop();
}
