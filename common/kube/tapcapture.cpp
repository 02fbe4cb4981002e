#include "tapcapture.h"

#include <algorithm>
#include <memory>

namespace podtap {

TapCapture::TapCapture(KubeApiClient *api, QObject *parent)
    : QObject(parent)
    , m_api(api)
{}

TapCapture::~TapCapture()
{
    if (m_exec)
        m_exec->disconnect(this);
}

void TapCapture::setState(State s, const QString &why)
{
    m_state = s;
    Q_EMIT stateChanged(s, why);
}

void TapCapture::start(const QString &ns, const QString &pod, const QString &tapContainer,
                       const QStringList &argv)
{
    m_ns = ns;
    m_pod = pod;
    m_tap = tapContainer;
    m_argv = argv;
    m_stopping = false;
    setState(State::Starting, QString());
    launch();
}

void TapCapture::launch()
{
    m_fatalStderr = false;
    m_counts = {};
    m_exec = new ExecStream(m_api, this);
    m_exec->setDeadAfter(m_stallMs);
    // Ping often enough that a short stall timeout still sees several unanswered pings
    // (the check runs on the ping timer; 5 s for the default 60 s).
    m_exec->setPingInterval(std::clamp(m_stallMs / 3, 200, 5000));
    connect(m_exec, &ExecStream::opened, this, [this] { Q_EMIT streamStarted(m_restarts); });
    connect(m_exec, &ExecStream::stdoutData, this, &TapCapture::pcapData);
    connect(m_exec, &ExecStream::stderrLine, this, &TapCapture::onStderr);
    connect(m_exec, &ExecStream::finished, this, &TapCapture::onFinished);
    m_exec->start(m_ns, m_pod, m_tap, m_argv);
}

void TapCapture::onStderr(const QString &line)
{
    switch (CaptureCommand::classify(line)) {
    case CaptureCommand::StderrKind::Listening:
        m_backoffMs = 500;
        setState(State::Capturing, line);
        break;
    case CaptureCommand::StderrKind::PrivilegeDrop:
        m_fatalStderr = true;
        m_fatalReason = QStringLiteral("the tap image's tcpdump drops privileges to its own user "
                                       "and fails without "
                                       "CAP_SETUID/SETGID (\"%1\"); use an image whose tcpdump "
                                       "does not drop, such as "
                                       "nicolaka/netshoot")
                                .arg(line);
        break;
    case CaptureCommand::StderrKind::PermissionDenied:
        // tcpdump prints the refusal, then libpcap's detail ("(socket: Operation not
        // permitted)"): the first line names the device, keep it.
        if (!m_fatalStderr)
            m_fatalReason = permissionDeniedReason(line, m_profile, m_node, m_nodeRuntime);
        m_fatalStderr = true;
        break;
    case CaptureCommand::StderrKind::Counts:
        CaptureCommand::parseCounts(line, &m_counts);
        break;
    case CaptureCommand::StderrKind::Other:
        break;
    }
    Q_EMIT statusLine(line);
}

QString TapCapture::permissionDeniedReason(const QString &line, TapProfile profile,
                                           const QString &node, const QString &nodeRuntime)
{
    if (profile == TapProfile::Baseline) {
        // The baseline tap adds nothing: it holds NET_RAW only if the runtime's default set
        // has it. CRI-O's has not since 1.18 (containerd's and Docker's have).
        const bool crio = nodeRuntime.startsWith(QLatin1String("cri-o://"));
        const QString runtime
                = nodeRuntime.isEmpty()
                          ? QStringLiteral("node %1's container runtime could not be read; "
                                           "CRI-O, for one, has not granted NET_RAW by default "
                                           "since 1.18")
                                    .arg(node.isEmpty() ? QStringLiteral("the") : node)
                  : crio ? QStringLiteral("node %1 runs %2, and CRI-O has not granted NET_RAW by "
                                          "default since 1.18")
                                   .arg(node, nodeRuntime)
                         : QStringLiteral("node %1 runs %2, whose default set lacks NET_RAW here")
                                   .arg(node, nodeRuntime);
        return QStringLiteral(
                       "tcpdump may not capture in the tap (\"%1\"): a baseline-profile tap adds "
                       "no capability and holds NET_RAW only when the node's runtime grants it "
                       "by default; %2. Ask for a namespace that allows adding NET_RAW (Pod "
                       "Security privileged, then the default profile), or tap a pod on a "
                       "containerd or Docker node")
                .arg(line, runtime);
    }
    return QStringLiteral("tcpdump may not capture in the tap (\"%1\"): the tap lacks NET_RAW "
                          "(a nonroot-profile tap gets it only from a tcpdump carrying the file "
                          "capability cap_net_raw+ep)")
            .arg(line);
}

void TapCapture::killOrphanThen(std::function<void()> next)
{
    // Processes started by exec outlive a broken stream: end the old tcpdump first.
    auto *killer = new ExecStream(m_api, this);
    killer->setPingInterval(5000);
    auto fired = std::make_shared<bool>(false);
    auto go = [fired, next = std::move(next), killer] {
        if (*fired)
            return;
        *fired = true;
        killer->deleteLater();
        next();
    };
    connect(killer, &ExecStream::finished, this, [go](const ExecStream::Outcome &) { go(); });
    QTimer::singleShot(10000, this, go);
    killer->start(m_ns, m_pod, m_tap, killArgv(m_argv));
}

QStringList TapCapture::killArgv(const QStringList &captureArgv)
{
    // Only this capture's tcpdump: several sessions may share one tap (a project mirror's
    // ports, a capture beside a mirror), and `pkill -x tcpdump` stopped all of them.
    // pkill -f matches the whole command line (arguments joined by spaces) with an
    // extended regular expression: the exact argv, anchored, metacharacters escaped.
    QString line = captureArgv.join(QLatin1Char(' '));
    QString pattern;
    pattern.reserve(line.size() * 2 + 16);
    // argv[0] may have been resolved to a path by the runtime (/usr/bin/tcpdump).
    pattern += QStringLiteral("^([^ ]*/)?");
    for (const QChar c : std::as_const(line)) {
        if (QStringView(u"\\.^$|?*+()[]{}").contains(c))
            pattern += QLatin1Char('\\');
        pattern += c;
    }
    pattern += QLatin1Char('$');
    return {QStringLiteral("pkill"), QStringLiteral("-f"), pattern};
}

void TapCapture::reportCounts()
{
    if (m_counts.droppedByKernel > 0)
        Q_EMIT warning(QStringLiteral("the kernel dropped %1 packets in the tap: those bytes are "
                                      "missing")
                               .arg(m_counts.droppedByKernel));
    Q_EMIT countsReported(m_counts);
}

void TapCapture::onFinished(const ExecStream::Outcome &o)
{
    if (m_exec)
        m_exec->deleteLater();
    reportCounts();
    if (m_stopping) {
        setState(State::Stopped, QStringLiteral("stopped"));
        Q_EMIT stopped(true, QString());
        return;
    }
    if (m_fatalStderr) {
        setState(State::Failed, m_fatalReason);
        Q_EMIT stopped(false, m_fatalReason);
        return;
    }
    if (!o.unexpectedEnd) {
        // tcpdump itself ended (e.g. -c N, or it failed at start): no point restarting.
        const QString why = o.success ? QStringLiteral("tcpdump finished")
                                      : QStringLiteral("tcpdump ended: %1").arg(o.message);
        setState(o.success ? State::Stopped : State::Failed, why);
        Q_EMIT stopped(o.success, o.success ? QString() : why);
        return;
    }
    if (++m_restarts > m_maxRestarts) {
        const QString why = QStringLiteral("the capture stream broke %1 times; giving up (%2)")
                                    .arg(m_maxRestarts)
                                    .arg(o.message);
        setState(State::Failed, why);
        Q_EMIT stopped(false, why);
        return;
    }
    Q_EMIT warning(QStringLiteral("the capture stream was lost (%1); reconnecting in %2 ms — "
                                  "packets in between are missing")
                           .arg(o.message)
                           .arg(m_backoffMs));
    setState(State::Reconnecting, o.message);
    const int delay = m_backoffMs;
    m_backoffMs = std::min(m_backoffMs * 2, 30000);
    QTimer::singleShot(delay, this, [this] {
        if (m_stopping)
            return;
        killOrphanThen([this] {
            if (!m_stopping)
                launch();
        });
    });
}

void TapCapture::stop()
{
    if (m_state == State::Stopped || m_state == State::Failed || m_stopping)
        return;
    m_stopping = true;
    if (!m_exec) {
        setState(State::Stopped, QStringLiteral("stopped"));
        Q_EMIT stopped(true, QString());
        return;
    }
    // Signal tcpdump through a second exec while its stream is still open: it then
    // prints its final counts (packets dropped by the kernel are data loss the user must
    // see) and exits, and the stream ends with a status. Abort only if that takes too long.
    QPointer<ExecStream> main = m_exec;
    killOrphanThen([] {});
    QTimer::singleShot(10000, this, [this, main] {
        if (main && main->isRunning())
            main->abort();
    });
}
} // namespace podtap
