#include "unixsignalwatcher.h"

#include <QSocketNotifier>

#include <csignal>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace podtap {

namespace {
int g_writeFd = -1;

void handler(int signo)
{
    const int saved = errno;
    const unsigned char b = static_cast<unsigned char>(signo);
    if (g_writeFd >= 0)
        (void)!::write(g_writeFd, &b, 1);
    errno = saved;
}
} // namespace

struct UnixSignalWatcher::Private
{
    int fds[2] = {-1, -1};
    std::vector<std::pair<int, struct sigaction>> previous;
    std::unique_ptr<QSocketNotifier> notifier;
};

UnixSignalWatcher::UnixSignalWatcher(std::initializer_list<int> signalNumbers, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    if (::pipe2(d->fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return;
    g_writeFd = d->fds[1];
    for (int s : signalNumbers) {
        struct sigaction sa
        {
        };
        sa.sa_handler = handler;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        struct sigaction old
        {
        };
        if (sigaction(s, &sa, &old) == 0)
            d->previous.emplace_back(s, old);
    }
    d->notifier = std::make_unique<QSocketNotifier>(d->fds[0], QSocketNotifier::Read);
    connect(d->notifier.get(), &QSocketNotifier::activated, this, [this] {
        unsigned char b = 0;
        while (::read(d->fds[0], &b, 1) == 1)
            Q_EMIT received(int(b));
    });
}

UnixSignalWatcher::~UnixSignalWatcher()
{
    for (auto &[s, old] : d->previous)
        sigaction(s, &old, nullptr);
    g_writeFd = -1;
    d->notifier.reset();
    for (int fd : d->fds)
        if (fd >= 0)
            ::close(fd);
}

} // namespace podtap
