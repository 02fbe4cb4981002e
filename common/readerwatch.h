#pragma once

#include <QObject>
#include <QTimer>

namespace podtap {

// Tells when the reader of a pipe or FIFO we write to has gone (Wireshark stopped, `head`
// ended), even while there is nothing to write: a failed write would say so only at the next
// packet, which on a quiet pod may never come. Polls the write end every `intervalMs`
// (POLLERR/POLLHUP: the read end was closed). Not for regular files, which never report it.
class ReaderWatch : public QObject
{
    Q_OBJECT

public:
    explicit ReaderWatch(int fd, int intervalMs = 250, QObject *parent = nullptr);
    // True when `fd` is a pipe or FIFO, the only kind worth watching.
    static bool isPipe(int fd);
    // True when the read end of the pipe `fd` was closed.
    static bool readerGone(int fd);

Q_SIGNALS:
    void gone();

private:
    int m_fd;
    QTimer m_timer;
};

} // namespace podtap
