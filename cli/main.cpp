// podtap: the command line. Only dispatches; the commands live in podtap_cli.
#include "clidispatcher.h"

#include <QCoreApplication>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("podtap"));
    return podtap::CliDispatcher::run(QCoreApplication::arguments().mid(1), stdout, stderr);
}
