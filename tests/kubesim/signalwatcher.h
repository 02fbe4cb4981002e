#pragma once

#include <QObject>

class QSocketNotifier;

namespace kubesim {

// Turns SIGTERM/SIGINT into a Qt signal through signalfd (the signals are blocked for the
// whole process, so call this before starting threads).
class SignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;
    bool isValid() const { return m_fd >= 0; }

Q_SIGNALS:
    void terminationRequested(int signal);

private:
    void onActivated();
    int m_fd = -1;
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace kubesim
