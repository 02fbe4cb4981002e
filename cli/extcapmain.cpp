// podtap-extcap: Wireshark's capture interface for Kubernetes pods. Only dispatches; the
// protocol lives in podtap_cli (ExtcapCommand), which tests link.
#include "extcapcommand.h"

#include <QCoreApplication>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("podtap-extcap"));
    return podtap::ExtcapCommand::run(QCoreApplication::arguments().mid(1), stdout, stderr);
}
