#include "netnslab.h"

#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QThread>

#include <csignal>
#include <unistd.h>

NetnsLab::NetnsLab(const QString &tag)
{
    const QString pid = QString::number(::getpid());
    m_serverNs = QStringLiteral("ptc") + pid + QLatin1Char('-') + tag + QStringLiteral("-s");
    m_clientNs = QStringLiteral("ptc") + pid + QLatin1Char('-') + tag + QStringLiteral("-c");
    // Interface names are limited to 15 characters (IFNAMSIZ - 1).
    const QString base = QString(QStringLiteral("pt") + pid + tag).left(13);
    m_serverVeth = base + QStringLiteral("s");
    m_clientVeth = base + QStringLiteral("c");
}

NetnsLab::~NetnsLab()
{
    tearDown();
}

bool NetnsLab::run(const QStringList &command, QString *error, int timeoutMs)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::SeparateChannels);
    p.start(command.first(), command.mid(1));
    if (!p.waitForStarted(5000)) {
        if (error)
            *error = command.join(QLatin1Char(' ')) + QStringLiteral(": ") + p.errorString();
        return false;
    }
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(2000);
        if (error)
            *error = command.join(QLatin1Char(' ')) + QStringLiteral(": timed out");
        return false;
    }
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        if (error)
            *error = command.join(QLatin1Char(' ')) + QStringLiteral(": ")
                     + QString::fromLocal8Bit(p.readAllStandardError()).trimmed();
        return false;
    }
    return true;
}

bool NetnsLab::waitListening(const QString &ns, int port, QString *error, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    const QStringList ss = {QStringLiteral("ip"),
                            QStringLiteral("netns"),
                            QStringLiteral("exec"),
                            ns,
                            QStringLiteral("ss"),
                            QStringLiteral("-Htln"),
                            QStringLiteral("sport = :%1").arg(port)};
    while (t.elapsed() < timeoutMs) {
        QProcess p;
        p.start(ss.first(), ss.mid(1));
        if (p.waitForFinished(5000) && p.exitCode() == 0
            && !p.readAllStandardOutput().trimmed().isEmpty())
            return true;
        QThread::msleep(20);
    }
    if (error)
        *error = QStringLiteral("nothing listened on port %1 in %2 within %3 ms")
                         .arg(port)
                         .arg(ns)
                         .arg(timeoutMs);
    return false;
}

QStringList NetnsLab::execArgs(const QString &ns, const QString &program, const QStringList &args)
{
    return QStringList{QStringLiteral("netns"), QStringLiteral("exec"), ns, program} + args;
}

bool NetnsLab::setUp(QString *error)
{
    removeStale();
    const QString ip = QStringLiteral("ip");
    auto inNs = [&](const QString &ns, const QStringList &args) {
        return QStringList{ip, QStringLiteral("-n"), ns} + args;
    };
    const QList<QStringList> steps = {
            {ip, QStringLiteral("netns"), QStringLiteral("add"), m_serverNs},
            {ip, QStringLiteral("netns"), QStringLiteral("add"), m_clientNs},
            inNs(m_serverNs,
                 {QStringLiteral("link"), QStringLiteral("add"), m_serverVeth,
                  QStringLiteral("type"), QStringLiteral("veth"), QStringLiteral("peer"),
                  QStringLiteral("name"), m_clientVeth, QStringLiteral("netns"), m_clientNs}),
            inNs(m_serverNs, {QStringLiteral("link"), QStringLiteral("set"), QStringLiteral("lo"),
                              QStringLiteral("up")}),
            inNs(m_clientNs, {QStringLiteral("link"), QStringLiteral("set"), QStringLiteral("lo"),
                              QStringLiteral("up")}),
            inNs(m_serverNs,
                 {QStringLiteral("addr"), QStringLiteral("add"), serverV4() + QStringLiteral("/24"),
                  QStringLiteral("dev"), m_serverVeth}),
            inNs(m_clientNs,
                 {QStringLiteral("addr"), QStringLiteral("add"), clientV4() + QStringLiteral("/24"),
                  QStringLiteral("dev"), m_clientVeth}),
            inNs(m_serverNs, {QStringLiteral("-6"), QStringLiteral("addr"), QStringLiteral("add"),
                              serverV6() + QStringLiteral("/64"), QStringLiteral("dev"),
                              m_serverVeth, QStringLiteral("nodad")}),
            inNs(m_clientNs, {QStringLiteral("-6"), QStringLiteral("addr"), QStringLiteral("add"),
                              clientV6() + QStringLiteral("/64"), QStringLiteral("dev"),
                              m_clientVeth, QStringLiteral("nodad")}),
            inNs(m_serverNs, {QStringLiteral("link"), QStringLiteral("set"), m_serverVeth,
                              QStringLiteral("up")}),
            inNs(m_clientNs, {QStringLiteral("link"), QStringLiteral("set"), m_clientVeth,
                              QStringLiteral("up")}),
    };
    m_created = true; // tearDown() copes with partial setups
    for (const QStringList &step : steps) {
        if (!run(step, error)) {
            tearDown();
            return false;
        }
    }
    // Wait (bounded) until both ends report carrier (LOWER_UP); there is no ping here.
    for (int i = 0; i < 100; ++i) {
        bool up = true;
        for (const auto &[ns, dev] :
             {std::pair{m_serverNs, m_serverVeth}, std::pair{m_clientNs, m_clientVeth}}) {
            QProcess p;
            p.start(ip, {QStringLiteral("-n"), ns, QStringLiteral("-o"), QStringLiteral("link"),
                         QStringLiteral("show"), QStringLiteral("dev"), dev});
            p.waitForFinished(3000);
            up = up && p.readAllStandardOutput().contains("LOWER_UP");
        }
        if (up)
            return true;
        ::usleep(50000);
    }
    if (error)
        *error = QStringLiteral("veth %1 did not come up").arg(m_serverVeth);
    tearDown();
    return false;
}

void NetnsLab::tearDown()
{
    if (!m_created)
        return;
    m_created = false;
    // Deleting a namespace kills its veth end and therefore the pair.
    run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("del"), m_serverNs},
        nullptr);
    run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("del"), m_clientNs},
        nullptr);
}

void NetnsLab::removeStale()
{
    const QDir dir(QStringLiteral("/run/netns"));
    static const QRegularExpression re(QStringLiteral("^ptc(\\d+)-"));
    const QStringList entries = dir.entryList(QDir::Files | QDir::System | QDir::Hidden);
    for (const QString &name : entries) {
        const QRegularExpressionMatch m = re.match(name);
        if (!m.hasMatch())
            continue;
        const pid_t pid = pid_t(m.captured(1).toLongLong());
        if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno == EPERM)
            continue; // owner still alive
        run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("del"), name}, nullptr);
    }
}
