#include "childprocess.h"

#include <QFile>
#include <QFileInfo>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

namespace kubesim {

namespace {

constexpr const char *DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool makePipe(int fds[2])
{
    return ::pipe2(fds, O_CLOEXEC) == 0;
}

void setNonBlocking(int fd)
{
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Child side of fork(): only async-signal-safe calls until execve.
[[noreturn]] void childMain(int netnsFd, bool privateSysfs, int in, int out, int err, int errPipe,
                            char *const *argv, char *const *envp)
{
    auto fail = [errPipe](int stage) {
        const int data[2] = {stage, errno};
        [[maybe_unused]] auto n = ::write(errPipe, data, sizeof(data));
        ::_exit(127);
    };
    sigset_t all;
    sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGQUIT})
        ::signal(sig, SIG_DFL);
    ::setpgid(0, 0);
    // Dies with kubesim (cleared again if the exec'd program changes uid; cleanStale covers that).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (netnsFd >= 0 && ::setns(netnsFd, CLONE_NEWNET) != 0)
        fail(1);
    if (privateSysfs) {
        // Like `ip netns exec`: a /sys that shows the pod's interfaces. Best effort.
        if (::unshare(CLONE_NEWNS) == 0
            && ::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) == 0) {
            ::umount2("/sys", MNT_DETACH);
            ::mount("sysfs", "/sys", "sysfs", 0, nullptr);
        }
    }
    if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0)
        fail(2);
    // Nothing else of kubesim leaks into the child.
    ::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
    ::execve(argv[0], argv, envp);
    fail(3);
    ::_exit(127);
}

} // namespace

ChildProcess::ChildProcess(QObject *parent)
    : QObject(parent)
{}

ChildProcess::~ChildProcess()
{
    if (m_pid > 0 && !m_exited)
        killAndWait();
    closeFd(m_stdinFd, m_stdinNotifier);
    closeFd(m_stdoutFd, m_stdoutNotifier);
    closeFd(m_stderrFd, m_stderrNotifier);
    if (m_pidfd >= 0)
        ::close(m_pidfd);
}

QString ChildProcess::findExecutable(const QString &name)
{
    if (name.contains(QLatin1Char('/')))
        return QFileInfo(name).isExecutable() ? name : QString();
    return QStandardPaths::findExecutable(name,
                                          QString::fromLatin1(DefaultPath).split(QLatin1Char(':')));
}

bool ChildProcess::start(const Options &options, QString *error)
{
    if (options.argv.isEmpty()) {
        *error = QStringLiteral("empty command");
        return false;
    }
    const QString program = findExecutable(options.argv.first());
    if (program.isEmpty()) {
        *error = QStringLiteral("exec: \"%1\": executable file not found in $PATH")
                         .arg(options.argv.first());
        return false;
    }

    // Everything the child needs is prepared before fork().
    std::vector<QByteArray> argStore;
    argStore.push_back(program.toLocal8Bit());
    for (qsizetype i = 1; i < options.argv.size(); ++i)
        argStore.push_back(options.argv.at(i).toLocal8Bit());
    std::vector<char *> argv;
    argv.reserve(argStore.size() + 1);
    for (auto &a : argStore)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<QByteArray> envStore;
    if (options.environment.isEmpty())
        envStore.push_back(QByteArray("PATH=") + DefaultPath);
    for (const QString &e : options.environment)
        envStore.push_back(e.toLocal8Bit());
    std::vector<char *> envp;
    envp.reserve(envStore.size() + 1);
    for (auto &e : envStore)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    int netnsFd = -1;
    if (!options.netnsPath.isEmpty()) {
        netnsFd = ::open(QFile::encodeName(options.netnsPath).constData(), O_RDONLY | O_CLOEXEC);
        if (netnsFd < 0) {
            *error = QStringLiteral("cannot open network namespace %1: %2")
                             .arg(options.netnsPath, QString::fromLocal8Bit(strerror(errno)));
            return false;
        }
    }
    const int devNull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    int inP[2] = {-1, -1}, outP[2] = {-1, -1}, errP[2] = {-1, -1}, statusP[2] = {-1, -1};
    bool ok = makePipe(statusP);
    if (ok && options.pipeStdin)
        ok = makePipe(inP);
    if (ok && options.pipeStdout)
        ok = makePipe(outP);
    if (ok && options.pipeStderr && !options.stderrToStdout)
        ok = makePipe(errP);
    auto closeAll = [&] {
        for (int fd : {inP[0], inP[1], outP[0], outP[1], errP[0], errP[1], statusP[0], statusP[1],
                       netnsFd, devNull})
            if (fd >= 0)
                ::close(fd);
    };
    if (!ok || devNull < 0) {
        *error = QStringLiteral("pipe: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        closeAll();
        return false;
    }
    const int childIn = options.pipeStdin ? inP[0] : devNull;
    const int childOut = options.pipeStdout ? outP[1] : devNull;
    const int childErr
            = options.stderrToStdout ? childOut : (options.pipeStderr ? errP[1] : devNull);

    const pid_t pid = ::fork();
    if (pid < 0) {
        *error = QStringLiteral("fork: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        closeAll();
        return false;
    }
    if (pid == 0)
        childMain(netnsFd, options.privateSysfs, childIn, childOut, childErr, statusP[1],
                  argv.data(), envp.data());

    // Parent: the status pipe reads EOF on a successful execve.
    ::close(statusP[1]);
    statusP[1] = -1;
    int failure[2] = {0, 0};
    ssize_t n;
    do {
        n = ::read(statusP[0], failure, sizeof(failure));
    } while (n < 0 && errno == EINTR);
    ::close(statusP[0]);
    statusP[0] = -1;
    for (int *fd : {&inP[0], &outP[1], &errP[1], &netnsFd}) {
        if (*fd >= 0)
            ::close(*fd);
        *fd = -1;
    }
    ::close(devNull);
    m_pid = pid;
    if (n == sizeof(failure)) {
        static const char *const stages[] = {"", "setns", "dup2", "execve"};
        *error = QStringLiteral("%1 %2: %3")
                         .arg(QLatin1String(stages[failure[0] & 3]), program,
                              QString::fromLocal8Bit(strerror(failure[1])));
        reap(true);
        for (int fd : {inP[1], outP[0], errP[0]})
            if (fd >= 0)
                ::close(fd);
        return false;
    }

    m_stdinFd = inP[1];
    m_stdoutFd = outP[0];
    m_stderrFd = errP[0];
    if (m_stdinFd >= 0) {
        setNonBlocking(m_stdinFd);
        m_stdinNotifier = new QSocketNotifier(m_stdinFd, QSocketNotifier::Write, this);
        m_stdinNotifier->setEnabled(false);
        connect(m_stdinNotifier, &QSocketNotifier::activated, this, &ChildProcess::flushStdin);
    }
    if (m_stdoutFd >= 0) {
        setNonBlocking(m_stdoutFd);
        m_stdoutNotifier = new QSocketNotifier(m_stdoutFd, QSocketNotifier::Read, this);
        connect(m_stdoutNotifier, &QSocketNotifier::activated, this,
                [this] { readPipe(m_stdoutFd, m_stdoutNotifier, true); });
    }
    if (m_stderrFd >= 0) {
        setNonBlocking(m_stderrFd);
        m_stderrNotifier = new QSocketNotifier(m_stderrFd, QSocketNotifier::Read, this);
        connect(m_stderrNotifier, &QSocketNotifier::activated, this,
                [this] { readPipe(m_stderrFd, m_stderrNotifier, false); });
    }
    m_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (m_pidfd >= 0) {
        m_pidNotifier = new QSocketNotifier(m_pidfd, QSocketNotifier::Read, this);
        connect(m_pidNotifier, &QSocketNotifier::activated, this, &ChildProcess::onPidfd);
    } else {
        // Kernels before 5.3: poll.
        auto *timer = new QTimer(this);
        connect(timer, &QTimer::timeout, this, [this, timer] {
            reap(false);
            if (m_exited) {
                timer->stop();
                maybeFinish();
            }
        });
        timer->start(50);
    }
    return true;
}

void ChildProcess::closeFd(int &fd, QSocketNotifier *&notifier)
{
    if (notifier) {
        notifier->setEnabled(false);
        notifier->deleteLater();
        notifier = nullptr;
    }
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

void ChildProcess::setOutputPaused(bool paused)
{
    m_paused = paused;
    if (m_stdoutNotifier)
        m_stdoutNotifier->setEnabled(!paused);
    if (m_stderrNotifier)
        m_stderrNotifier->setEnabled(!paused);
}

void ChildProcess::readPipe(int &fd, QSocketNotifier *&notifier, bool isStdout)
{
    if (fd < 0 || m_paused)
        return;
    QByteArray buffer(ChunkSize, Qt::Uninitialized);
    ssize_t n;
    do {
        n = ::read(fd, buffer.data(), buffer.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return;
    if (n <= 0) {
        closeFd(fd, notifier);
        maybeFinish();
        return;
    }
    buffer.truncate(n);
    if (isStdout)
        Q_EMIT stdoutData(buffer);
    else
        Q_EMIT stderrData(buffer);
}

void ChildProcess::writeStdin(const QByteArray &data)
{
    if (m_stdinFd < 0 || m_closeStdinWhenFlushed)
        return;
    m_stdinBuffer.append(data);
    flushStdin();
}

void ChildProcess::flushStdin()
{
    while (m_stdinFd >= 0 && !m_stdinBuffer.isEmpty()) {
        const ssize_t n = ::write(m_stdinFd, m_stdinBuffer.constData(), m_stdinBuffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n < 0) { // EPIPE: the child closed its stdin
            m_stdinBuffer.clear();
            closeFd(m_stdinFd, m_stdinNotifier);
            return;
        }
        m_stdinBuffer.remove(0, n);
    }
    if (m_stdinNotifier)
        m_stdinNotifier->setEnabled(!m_stdinBuffer.isEmpty());
    if (m_stdinBuffer.isEmpty() && m_closeStdinWhenFlushed)
        closeFd(m_stdinFd, m_stdinNotifier);
}

void ChildProcess::closeStdin()
{
    m_closeStdinWhenFlushed = true;
    flushStdin();
}

void ChildProcess::onPidfd()
{
    reap(false);
    if (m_exited) {
        if (m_pidNotifier)
            m_pidNotifier->setEnabled(false);
        maybeFinish();
    }
}

void ChildProcess::reap(bool block)
{
    if (m_pid <= 0 || m_exited)
        return;
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(m_pid, &status, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == m_pid || (r < 0 && errno == ECHILD)) {
        m_exited = true;
        if (r == m_pid && WIFEXITED(status))
            m_exitCode = WEXITSTATUS(status);
        else if (r == m_pid && WIFSIGNALED(status)) {
            m_exitSignal = WTERMSIG(status);
            m_exitCode = 128 + m_exitSignal; // what container runtimes report
        }
    }
}

void ChildProcess::maybeFinish()
{
    if (m_finishedEmitted || !m_exited || m_stdoutFd >= 0 || m_stderrFd >= 0)
        return;
    m_finishedEmitted = true;
    closeFd(m_stdinFd, m_stdinNotifier);
    Q_EMIT finished();
}

void ChildProcess::terminate(int graceMs)
{
    if (m_pid <= 0 || m_exited)
        return;
    ::kill(-m_pid, SIGTERM);
    ::kill(m_pid, SIGTERM);
    QTimer::singleShot(graceMs, this, [this] {
        if (m_pid > 0 && !m_exited) {
            ::kill(-m_pid, SIGKILL);
            ::kill(m_pid, SIGKILL);
        }
    });
}

void ChildProcess::terminateAndWait(int graceMs)
{
    if (m_pid <= 0 || m_exited)
        return;
    ::kill(-m_pid, SIGTERM);
    ::kill(m_pid, SIGTERM);
    for (int waited = 0; waited < graceMs && !m_exited; waited += 5) {
        reap(false);
        if (!m_exited)
            ::usleep(5000);
    }
    killAndWait();
}

void ChildProcess::killAndWait()
{
    if (m_pid <= 0 || m_exited)
        return;
    ::kill(-m_pid, SIGKILL);
    ::kill(m_pid, SIGKILL);
    reap(true);
    // Members of the group that outlive the leader (sh -c '… &') go too.
    ::kill(-m_pid, SIGKILL);
}

} // namespace kubesim
