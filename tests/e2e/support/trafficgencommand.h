#pragma once

#include <QString>
#include <QStringList>

class QProcess;

// podtap-trafficgen, the test's servers and clients.
class TrafficgenCommand
{
public:
    static QString program();
    // Starts `podtap-trafficgen serve ARGS` in `process` (inside the network namespace `netns`
    // when given) and waits up to 10 s for its "listening ADDR:PORT" line: the port, or 0.
    static quint16 serve(QProcess *process, const QStringList &args, const QString &netns = {});
    // The arguments of `ip` that run `podtap-trafficgen client ARGS` inside `netns`.
    static QStringList clientInNetns(const QString &netns, const QStringList &args);
};
