#include "netnsmanager.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSaveFile>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kubesim {

namespace {

QString ipv4(quint32 base, int n)
{
    const quint32 a = base + quint32(n) + 1; // n = 1 → x.x.0.2 (x.x.0.1 is the bridge)
    return QStringLiteral("%1.%2.%3.%4")
            .arg(a >> 24)
            .arg((a >> 16) & 255)
            .arg((a >> 8) & 255)
            .arg(a & 255);
}

constexpr quint32 PodBase = (198u << 24) | (18u << 16);
constexpr quint32 ClientBase = (198u << 24) | (19u << 16);

bool pidAlive(qint64 pid)
{
    return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

QString stateFileName(qint64 pid)
{
    return QStringLiteral("ksim-%1.json").arg(pid);
}

} // namespace

NetnsManager::NetnsManager(const QString &stateDir)
    : m_stateDir(stateDir)
    , m_prefix(QStringLiteral("ksim%1-").arg(::getpid()))
    , m_nodeNs(m_prefix + QStringLiteral("node"))
{}

bool NetnsManager::checkRoot(QString *error)
{
    if (::geteuid() == 0)
        return true;
    *error = QStringLiteral(
            "kubesim pods need root: network namespaces, veth pairs, a bridge and setns() need "
            "CAP_SYS_ADMIN and CAP_NET_ADMIN; run kubesim (or the test) as root, e.g. in the CI "
            "container");
    return false;
}

QString NetnsManager::netnsPath(const QString &name)
{
    return QStringLiteral("/run/netns/") + name;
}

bool NetnsManager::runIp(const QStringList &args, const QByteArray &batch, QString *error)
{
    QProcess ip;
    ip.setProgram(QStringLiteral("ip"));
    QStringList all = args;
    if (!batch.isEmpty())
        all << QStringLiteral("-batch") << QStringLiteral("-");
    ip.setArguments(all);
    ip.start();
    if (!ip.waitForStarted(5000)) {
        *error = QStringLiteral("cannot run ip (iproute2): %1").arg(ip.errorString());
        return false;
    }
    if (!batch.isEmpty())
        ip.write(batch);
    ip.closeWriteChannel();
    if (!ip.waitForFinished(10000) || ip.exitStatus() != QProcess::NormalExit
        || ip.exitCode() != 0) {
        *error = QStringLiteral("ip %1 failed: %2%3")
                         .arg(all.join(QLatin1Char(' ')),
                              QString::fromLocal8Bit(ip.readAllStandardError()).trimmed(),
                              batch.isEmpty()
                                      ? QString()
                                      : QStringLiteral(" (batch: %1)")
                                                .arg(QString::fromLocal8Bit(batch).simplified()));
        return false;
    }
    return true;
}

QStringList NetnsManager::listNamespaces()
{
    QStringList names;
    const QDir dir(QStringLiteral("/run/netns"));
    const QStringList entries = dir.entryList(QDir::Files | QDir::System | QDir::Hidden);
    for (const QString &e : entries)
        names << e;
    return names;
}

void NetnsManager::killAndDelete(const QString &ns)
{
    // `ip netns pids` lists every process whose network namespace is this one.
    for (int round = 0; round < 3; ++round) {
        QProcess ip;
        ip.start(QStringLiteral("ip"), {QStringLiteral("netns"), QStringLiteral("pids"), ns});
        ip.waitForFinished(5000);
        const QList<QByteArray> pids = ip.readAllStandardOutput().split('\n');
        bool any = false;
        for (const QByteArray &p : pids) {
            bool ok = false;
            const int pid = p.trimmed().toInt(&ok);
            if (ok && pid > 1 && pid != ::getpid()) {
                ::kill(pid, SIGKILL);
                any = true;
            }
        }
        if (!any)
            break;
        ::usleep(20000);
    }
    QString error;
    if (!runIp({QStringLiteral("netns"), QStringLiteral("delete"), ns}, {}, &error))
        qWarning("kubesim: %s", qPrintable(error));
}

bool NetnsManager::cleanStale(QString *error)
{
    if (!checkRoot(error))
        return false;
    static const QRegularExpression re(QStringLiteral("^ksim(\\d+)-"));
    const QStringList names = listNamespaces();
    for (const QString &name : names) {
        const auto m = re.match(name);
        if (!m.hasMatch() || m_created.contains(name))
            continue;
        const qint64 pid = m.captured(1).toLongLong();
        if (pid != ::getpid() && pidAlive(pid))
            continue; // another kubesim that is still running
        killAndDelete(name);
    }
    QDir dir(m_stateDir);
    const QStringList files = dir.entryList(
            {QStringLiteral("ksim-*.json"), QStringLiteral("ksim*.jsonl")}, QDir::Files);
    // State files ksim-<pid>.json and trafficgen records ksim<pid>-<ns>-<pod>-*.jsonl.
    static const QRegularExpression fileRe(QStringLiteral("^ksim-?(\\d+)(\\.json$|-.*\\.jsonl$)"));
    for (const QString &f : files) {
        const auto m = fileRe.match(f);
        if (!m.hasMatch())
            continue;
        const qint64 pid = m.captured(1).toLongLong();
        if (pid != ::getpid() && pidAlive(pid))
            continue;
        if (pid == ::getpid() && !m_created.isEmpty())
            continue;
        dir.remove(f);
    }
    // The nginx workload's folders ksim<pid>-<ns>-<pod>-nginx (config, logs, temp files).
    static const QRegularExpression nginxRe(QStringLiteral("^ksim(\\d+)-.*-nginx$"));
    const QStringList dirs = dir.entryList({QStringLiteral("ksim*-nginx")}, QDir::Dirs);
    for (const QString &d : dirs) {
        const auto m = nginxRe.match(d);
        if (!m.hasMatch())
            continue;
        const qint64 pid = m.captured(1).toLongLong();
        if (pid != ::getpid() && pidAlive(pid))
            continue;
        if (pid == ::getpid() && !m_created.isEmpty())
            continue;
        QDir(dir.filePath(d)).removeRecursively();
    }
    return true;
}

bool NetnsManager::ensureNode(QString *error)
{
    if (m_created.contains(m_nodeNs))
        return true;
    if (!checkRoot(error))
        return false;
    if (listNamespaces().contains(m_nodeNs))
        killAndDelete(m_nodeNs); // leftover of an earlier process with our pid
    if (!runIp({QStringLiteral("netns"), QStringLiteral("add"), m_nodeNs}, {}, error))
        return false;
    m_created << m_nodeNs;
    writeState();
    const QByteArray batch = "link set lo up\n"
                             "link add br0 type bridge\n"
                             "addr add 198.18.0.1/15 dev br0\n"
                             "addr add fd00:5e:18::1/64 dev br0 nodad\n"
                             "link set br0 up\n";
    return runIp({QStringLiteral("-n"), m_nodeNs}, batch, error);
}

std::optional<NetnsManager::PodNetwork> NetnsManager::createPod(QString *error)
{
    if (!ensureNode(error))
        return std::nullopt;
    if (m_nextIndex > 60000) {
        *error = QStringLiteral("too many pods");
        return std::nullopt;
    }
    PodNetwork net;
    net.index = m_nextIndex++;
    net.podNs = m_prefix + QStringLiteral("p%1").arg(net.index);
    net.clientNs = m_prefix + QStringLiteral("c%1").arg(net.index);
    net.podIp = ipv4(PodBase, net.index);
    net.clientIp = ipv4(ClientBase, net.index);
    net.podIpv6 = QStringLiteral("fd00:5e:18::1:%1").arg(net.index, 0, 16);
    net.clientIpv6 = QStringLiteral("fd00:5e:18::2:%1").arg(net.index, 0, 16);
    const QByteArray vp = QStringLiteral("vp%1").arg(net.index).toLatin1();
    const QByteArray vc = QStringLiteral("vc%1").arg(net.index).toLatin1();
    const QByteArray pod = net.podNs.toLatin1(), client = net.clientNs.toLatin1(),
                     node = m_nodeNs.toLatin1();

    // Register the names before creating them so teardown/cleanStale see partial pods too.
    m_created << net.podNs << net.clientNs;
    writeState();
    const QByteArray root = "netns add " + pod + "\nnetns add " + client
                            + "\n"
                              "link add eth0 netns "
                            + pod + " type veth peer name " + vp + " netns " + node
                            + "\n"
                              "link add eth0 netns "
                            + client + " type veth peer name " + vc + " netns " + node + "\n";
    if (!runIp({}, root, error))
        return std::nullopt;
    auto side = [](const QString &ip4, const QString &ip6) -> QByteArray {
        return QByteArray("link set lo up\n"
                          "addr add ")
               + ip4.toLatin1()
               + "/15 dev eth0\n"
                 "addr add "
               + ip6.toLatin1()
               + "/64 dev eth0 nodad\n"
                 "link set eth0 up\n";
    };
    if (!runIp({QStringLiteral("-n"), net.podNs}, side(net.podIp, net.podIpv6), error)
        || !runIp({QStringLiteral("-n"), net.clientNs}, side(net.clientIp, net.clientIpv6), error))
        return std::nullopt;
    const QByteArray nodeBatch
            = "link set " + vp + " master br0 up\nlink set " + vc + " master br0 up\n";
    if (!runIp({QStringLiteral("-n"), m_nodeNs}, nodeBatch, error))
        return std::nullopt;
    return net;
}

void NetnsManager::teardown()
{
    // Pods first, the node (bridge) last.
    for (auto it = m_created.crbegin(); it != m_created.crend(); ++it)
        killAndDelete(*it);
    m_created.clear();
    QFile::remove(QDir(m_stateDir).filePath(stateFileName(::getpid())));
}

void NetnsManager::writeState() const
{
    QDir().mkpath(m_stateDir);
    QJsonObject o;
    o.insert(QStringLiteral("pid"), qint64(::getpid()));
    o.insert(QStringLiteral("prefix"), m_prefix);
    o.insert(QStringLiteral("namespaces"), QJsonArray::fromStringList(m_created));
    QSaveFile f(QDir(m_stateDir).filePath(stateFileName(::getpid())));
    if (f.open(QIODevice::WriteOnly)) {
        f.write(QJsonDocument(o).toJson());
        f.commit();
    }
}

int NetnsManager::openSocketIn(const QString &ns, int domain, int type, QString *error)
{
    const int self = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    const int target = ::open(QFile::encodeName(netnsPath(ns)).constData(), O_RDONLY | O_CLOEXEC);
    int fd = -1;
    if (self < 0 || target < 0) {
        *error = QStringLiteral("cannot open network namespace %1: %2")
                         .arg(ns, QString::fromLocal8Bit(strerror(errno)));
    } else if (::setns(target, CLONE_NEWNET) != 0) {
        *error = QStringLiteral("setns %1: %2").arg(ns, QString::fromLocal8Bit(strerror(errno)));
    } else {
        fd = ::socket(domain, type | SOCK_CLOEXEC, 0);
        if (fd < 0)
            *error = QStringLiteral("socket: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        if (::setns(self, CLONE_NEWNET) != 0)
            qFatal("kubesim: cannot return to the original network namespace");
    }
    if (self >= 0)
        ::close(self);
    if (target >= 0)
        ::close(target);
    return fd;
}

} // namespace kubesim
