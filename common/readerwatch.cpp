#include "readerwatch.h"

#include <poll.h>
#include <sys/stat.h>

namespace podtap {

ReaderWatch::ReaderWatch(int fd, int intervalMs, QObject *parent)
    : QObject(parent)
    , m_fd(fd)
{
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (readerGone(m_fd)) {
            m_timer.stop();
            Q_EMIT gone();
        }
    });
    if (isPipe(fd))
        m_timer.start(intervalMs);
}

bool ReaderWatch::isPipe(int fd)
{
    struct stat st = {};
    return fd >= 0 && ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

bool ReaderWatch::readerGone(int fd)
{
    pollfd p{fd, POLLOUT, 0};
    // Linux reports POLLERR on the write end of a pipe whose readers are all gone.
    return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

} // namespace podtap
