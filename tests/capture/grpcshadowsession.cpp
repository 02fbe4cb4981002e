#include "grpcshadowsession.h"

#include "backgroundprocess.h"
#include "capturecheck.h"
#include "netnslab.h"

#include "capture/captureengine.h"
#include "http/httpsink.h"
#include "http/routetemplate.h"
#include "http/shadowcomparator.h"
#include "session/podtappipeline.h"
#include "store/sessionspool.h"

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>

#include <algorithm>
#include <csignal>
#include <unistd.h>

using namespace podtap;

namespace {
const QString Python = QStringLiteral("/usr/bin/python3");
constexpr int PodPort = 50051;
constexpr int LocalPort = 50052;
constexpr int HttpPort = 8080;

struct Exchange
{
    std::uint64_t connection;
    int serverPort;
    HttpExchange x;
};

bool runIn(const QString &ns, const QString &program, const QStringList &args, QString *error,
           QByteArray *out = nullptr)
{
    QProcess p;
    p.start(QStringLiteral("ip"), NetnsLab::execArgs(ns, program, args));
    if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        *error = QStringLiteral("%1 %2 failed: %3")
                         .arg(program, args.join(QLatin1Char(' ')),
                              QString::fromLocal8Bit(p.readAllStandardError()));
        p.kill();
        p.waitForFinished(5000);
        return false;
    }
    if (out)
        *out = p.readAllStandardOutput();
    return true;
}
} // namespace

QString GrpcShadowSession::unavailable()
{
    if (::geteuid() != 0)
        return QStringLiteral("needs root for network namespaces and tcpdump");
    for (const char *tool : {"ip", "tcpdump", "curl"}) {
        const QString name = QLatin1String(tool);
        if (QStandardPaths::findExecutable(name).isEmpty()
            && QStandardPaths::findExecutable(
                       name, {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin")})
                       .isEmpty())
            return name + QStringLiteral(" is not installed (scripts/install-deps)");
    }
    QProcess py;
    py.start(Python, {QStringLiteral("-c"), QStringLiteral("import grpc, grpc_tools")});
    if (!py.waitForFinished(20000) || py.exitCode() != 0)
        return QStringLiteral("python3-grpcio / python3-grpc-tools are not installed "
                              "(scripts/install-deps)");
    return {};
}

bool GrpcShadowSession::create(const QString &store, const QString &id, const QString &work,
                               QString *error)
{
    const QString h2dir = QStringLiteral(GRPC_H2_DIR);
    const QString stubs = work + QStringLiteral("/stubs");
    const QString www = work + QStringLiteral("/www");
    if (!QDir().mkpath(stubs) || !QDir().mkpath(www)) {
        *error = QStringLiteral("cannot create folders in ") + work;
        return false;
    }
    {
        QFile f(www + QStringLiteral("/hello.txt"));
        if (!f.open(QIODevice::WriteOnly) || f.write("hello from the pod\n") < 0) {
            *error = f.errorString();
            return false;
        }
    }
    {
        QProcess protoc;
        protoc.start(Python, {QStringLiteral("-m"), QStringLiteral("grpc_tools.protoc"),
                              QStringLiteral("-I"), h2dir, QStringLiteral("--python_out=") + stubs,
                              QStringLiteral("--grpc_python_out=") + stubs,
                              QStringLiteral("greeter.proto")});
        if (!protoc.waitForFinished(60000) || protoc.exitCode() != 0) {
            *error = QStringLiteral("grpc_tools.protoc failed: ")
                     + QString::fromLocal8Bit(protoc.readAllStandardError());
            return false;
        }
    }
    NetnsLab lab(QStringLiteral("gs"));
    if (!lab.setUp(error))
        return false;
    BackgroundProcess pod, local, http;
    if (!pod.start(lab.serverNs(), Python,
                   {h2dir + QStringLiteral("/grpc_server.py"), stubs, QString::number(PodPort)},
                   "grpc server ready", QProcess::StandardOutput, error, 60000)
        || !local.start(lab.serverNs(), Python,
                        {h2dir + QStringLiteral("/grpc_server.py"), stubs,
                         QString::number(LocalPort), QStringLiteral("local")},
                        "grpc server ready", QProcess::StandardOutput, error, 60000)
        || !http.start(lab.serverNs(), Python,
                       {QStringLiteral("-u"), QStringLiteral("-m"), QStringLiteral("http.server"),
                        QString::number(HttpPort), QStringLiteral("--bind"), NetnsLab::serverV4(),
                        QStringLiteral("--directory"), www},
                       "Serving HTTP", QProcess::StandardOutput, error, 60000))
        return false;
    const QString pcap = work + QStringLiteral("/grpcshadow.pcap");
    BackgroundProcess tcpdump;
    if (!CaptureCheck::startTcpdump(tcpdump, lab.serverNs(), lab.serverVeth(), pcap,
                                    QStringLiteral("tcp"), error))
        return false;
    QByteArray podOut;
    const QString server = NetnsLab::serverV4();
    const bool traffic
            = runIn(lab.clientNs(), Python,
                    {h2dir + QStringLiteral("/grpc_client.py"), stubs,
                     QStringLiteral("%1:%2").arg(server).arg(PodPort)},
                    error, &podOut)
              && runIn(lab.clientNs(), Python,
                       {h2dir + QStringLiteral("/grpc_client.py"), stubs,
                        QStringLiteral("%1:%2").arg(server).arg(LocalPort)},
                       error)
              && runIn(lab.clientNs(), QStringLiteral("curl"),
                       {QStringLiteral("-s"), QStringLiteral("-o"), QStringLiteral("/dev/null"),
                        QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-o"),
                        QStringLiteral("/dev/null"),
                        QStringLiteral("http://%1:%2/hello.txt").arg(server).arg(HttpPort),
                        QStringLiteral("http://%1:%2/hello.txt?again=1").arg(server).arg(HttpPort),
                        QStringLiteral("http://%1:%2/missing").arg(server).arg(HttpPort)},
                       error);
    quint64 dropped = 0;
    QString stopError;
    if (!CaptureCheck::stopTcpdump(tcpdump, &dropped, &stopError) && traffic) {
        *error = stopError;
        return false;
    }
    pod.stop(SIGTERM, &stopError);
    local.stop(SIGTERM, &stopError);
    http.stop(SIGTERM, &stopError);
    if (!traffic)
        return false;
    if (dropped > 0) {
        *error = QStringLiteral("tcpdump dropped %1 packets").arg(dropped);
        return false;
    }
    if (!podOut.contains("fail: StatusCode.NOT_FOUND")) {
        *error = QStringLiteral("the pod's Fail call did not fail: ")
                 + QString::fromLocal8Bit(podOut);
        return false;
    }

    // Decode as podtapd does (HttpSink on the capture engine), HTTP/2 on.
    std::vector<Exchange> all;
    HttpSink sink([&](const TcpConnection &c, HttpExchange &&x) {
        all.push_back({c.id, c.server.port, std::move(x)});
    });
    sink.setHttp2Decoding(true);
    CaptureEngine engine;
    engine.setSink(&sink);
    QFile f(pcap);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(pcap, f.errorString());
        return false;
    }
    const QByteArray bytes = f.readAll();
    engine.feed(reinterpret_cast<const std::uint8_t *>(bytes.constData()),
                std::size_t(bytes.size()));
    engine.finish();
    if (sink.stats().http2Undecodable != 0) {
        *error = QStringLiteral("%1 HTTP/2 connections could not be decoded")
                         .arg(sink.stats().http2Undecodable);
        return false;
    }
    std::sort(all.begin(), all.end(), [](const Exchange &a, const Exchange &b) {
        return a.x.request.firstByteNs < b.x.request.firstByteNs;
    });
    std::vector<const Exchange *> podCalls, localCalls;
    for (const Exchange &e : all) {
        if (e.serverPort == PodPort)
            podCalls.push_back(&e);
        else if (e.serverPort == LocalPort)
            localCalls.push_back(&e);
    }
    if (podCalls.size() != 4 || localCalls.size() != 4) {
        *error = QStringLiteral("expected 4 gRPC calls to each server, decoded %1 and %2")
                         .arg(podCalls.size())
                         .arg(localCalls.size());
        return false;
    }

    SessionSpool spool;
    const auto created = spool.create(
            store + QLatin1Char('/') + id,
            QJsonObject{{QStringLiteral("target"), QStringLiteral("podtaptest/greeter")},
                        {QStringLiteral("port"), PodPort}},
            {}, {});
    if (!created) {
        *error = created.error();
        return false;
    }
    const ShadowComparator comparator;
    for (const Exchange &e : all) {
        if (e.serverPort == LocalPort)
            continue; // the local build's answers are only compared, never stored
        const QJsonObject x = PodTapPipeline::exchangeJson(e.x, e.connection);
        spool.appendHttp(x);
        exchanges.append(x);
    }
    for (std::size_t i = 0; i < podCalls.size(); ++i) {
        const HttpExchange &p = podCalls[i]->x;
        const HttpExchange &l = localCalls[i]->x;
        // As ShadowCompare::verdict records it.
        QJsonObject r = comparator.compare(p, l).toJson();
        r[QLatin1String("id")] = qint64(podCalls[i]->connection);
        r[QLatin1String("index")] = qint64(p.index);
        r[QLatin1String("method")] = QString::fromLatin1(p.request.method);
        r[QLatin1String("target")] = QString::fromLatin1(p.request.target.left(2048));
        r[QLatin1String("route")] = RouteTemplate::fold(p.request.method, p.request.target);
        r[QLatin1String("podLatencyUs")] = double(p.latencyNs()) / 1000.0;
        r[QLatin1String("localLatencyUs")] = double(l.latencyNs()) / 1000.0;
        r[QLatin1String("localStatus")] = l.response.status;
        spool.appendCompare(r);
        verdicts.append(r);
    }
    spool.close(QStringLiteral("stopped"));
    return true;
}
