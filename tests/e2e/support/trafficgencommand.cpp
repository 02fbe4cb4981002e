#include "trafficgencommand.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>

QString TrafficgenCommand::program()
{
    return QStringLiteral(BINDIR "/tests/tools/podtap-trafficgen");
}

quint16 TrafficgenCommand::serve(QProcess *process, const QStringList &args, const QString &netns)
{
    const QStringList serveArgs = QStringList{QStringLiteral("serve")} + args;
    if (netns.isEmpty())
        process->start(program(), serveArgs);
    else
        process->start(QStringLiteral("ip"), QStringList{QStringLiteral("netns"),
                                                         QStringLiteral("exec"), netns, program()}
                                                     + serveArgs);
    if (!process->waitForStarted())
        return 0;
    QElapsedTimer t;
    t.start();
    while (!process->canReadLine() && process->state() == QProcess::Running && t.elapsed() < 10000)
        process->waitForReadyRead(100);
    const auto m = QRegularExpression(QStringLiteral("^listening \\S+:(\\d+)"))
                           .match(QString::fromLatin1(process->readLine()));
    return m.hasMatch() ? quint16(m.captured(1).toUInt()) : 0;
}

QStringList TrafficgenCommand::clientInNetns(const QString &netns, const QStringList &args)
{
    return QStringList{QStringLiteral("netns"), QStringLiteral("exec"), netns, program(),
                       QStringLiteral("client")}
           + args;
}
