#pragma once

#include <QObject>

#include <initializer_list>
#include <memory>

class QSocketNotifier;

namespace podtap {

// Turns Unix signals (SIGINT, SIGTERM, …) into a Qt signal, process-wide: a sigaction
// handler writes the signal number to a pipe the event loop watches. Unlike signalfd with
// a blocked mask, it works whichever thread the kernel picks (Qt and libraries start
// threads). The previous handlers come back when the watcher is destroyed.
class UnixSignalWatcher : public QObject
{
    Q_OBJECT

public:
    UnixSignalWatcher(std::initializer_list<int> signalNumbers, QObject *parent = nullptr);
    ~UnixSignalWatcher() override;

Q_SIGNALS:
    void received(int signalNumber);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace podtap
