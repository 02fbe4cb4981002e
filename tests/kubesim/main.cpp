// podtap-kubesim: a Kubernetes API test server for podtap and kubectl (see README.md).
#include "execcredentialplugin.h"
#include "kubesimapp.h"
#include "signalwatcher.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

int main(int argc, char **argv)
{
    if (argc > 1 && qstrcmp(argv[1], "exec-credential") == 0) {
        QCoreApplication app(argc, argv);
        return kubesim::ExecCredentialPlugin::run(app.arguments().mid(2));
    }
    kubesim::SignalWatcher *signals = nullptr;
    QCoreApplication app(argc, argv);
    signals = new kubesim::SignalWatcher(&app);
    QCoreApplication::setApplicationName(QStringLiteral("podtap-kubesim"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Kubernetes API test server for podtap"));
    parser.addHelpOption();
    const QCommandLineOption scenario(QStringLiteral("scenario"),
                                      QStringLiteral("Scenario YAML file."),
                                      QStringLiteral("file"));
    const QCommandLineOption kubeconfig(QStringLiteral("kubeconfig-out"),
                                        QStringLiteral("Where to write the kubeconfig."),
                                        QStringLiteral("path"));
    const QCommandLineOption port(QStringLiteral("port"), QStringLiteral("TCP port (0 = any)."),
                                  QStringLiteral("port"), QStringLiteral("0"));
    const QCommandLineOption stateDir(QStringLiteral("state-dir"),
                                      QStringLiteral("Runtime state directory."),
                                      QStringLiteral("dir"));
    const QCommandLineOption requireRuntime(QStringLiteral("require-runtime"),
                                            QStringLiteral("Fail instead of running without "
                                                           "network namespaces."));
    const QCommandLineOption rbac(QStringLiteral("rbac"),
                                  QStringLiteral("RBAC manifests (Role, ClusterRole, RoleBinding, "
                                                 "ClusterRoleBinding) bound to the scenario's "
                                                 "users; repeatable."),
                                  QStringLiteral("file"));
    const QCommandLineOption address(QStringLiteral("address"),
                                     QStringLiteral("IP address to listen on (default 127.0.0.1); "
                                                    "the kubeconfig names it."),
                                     QStringLiteral("ip"), QStringLiteral("127.0.0.1"));
    const QCommandLineOption serverName(
            QStringLiteral("server-name"),
            QStringLiteral("DNS name for the serving certificate, which then holds no IP "
                           "address (clients verify with tls-server-name); repeatable."),
            QStringLiteral("name"));
    parser.addOptions(
            {scenario, kubeconfig, port, stateDir, requireRuntime, rbac, address, serverName});
    parser.process(app);
    if (!parser.isSet(scenario) || !parser.isSet(kubeconfig)) {
        std::fputs("podtap-kubesim: --scenario and --kubeconfig-out are required\n", stderr);
        return 2;
    }

    kubesim::KubesimOptions opts;
    opts.scenarioPath = parser.value(scenario);
    opts.kubeconfigOut = parser.value(kubeconfig);
    opts.stateDir = parser.value(stateDir);
    opts.port = quint16(parser.value(port).toUInt());
    opts.requireRuntime = parser.isSet(requireRuntime);
    opts.rbacFiles = parser.values(rbac);
    opts.address = parser.value(address);
    opts.serverNames = parser.values(serverName);

    kubesim::KubesimApp kubesim;
    QObject::connect(signals, &kubesim::SignalWatcher::terminationRequested, &app, [&kubesim](int) {
        kubesim.shutdown();
        QCoreApplication::quit();
    });
    QString error;
    if (!kubesim.start(opts, &error)) {
        std::fprintf(stderr, "podtap-kubesim: %s\n", qPrintable(error));
        kubesim.shutdown();
        return 1;
    }
    std::printf("kubesim ready %s\n", qPrintable(kubesim.serverUrl()));
    std::fflush(stdout);
    return app.exec();
}
