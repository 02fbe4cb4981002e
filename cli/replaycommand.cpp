#include "replaycommand.h"

#include "comparereport.h"
#include "daemonconnection.h"
#include "http2/protodescriptorset.h"
#include "portnumber.h"
#include "unixsignalwatcher.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <csignal>

namespace podtap {

bool ReplayCommand::parseTarget(const QString &text, QHostAddress *host, quint16 *port,
                                QString *error)
{
    QString h = QStringLiteral("127.0.0.1");
    QString p = text;
    const int colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon >= 0) {
        h = text.left(colon);
        p = text.mid(colon + 1);
        if (h.startsWith(QLatin1Char('[')) && h.endsWith(QLatin1Char(']')))
            h = h.mid(1, h.size() - 2);
    }
    bool ok = false;
    const uint n = p.toUInt(&ok);
    if (!ok || n == 0 || n > 65535) {
        *error = QStringLiteral("'%1' is not a port (1-65535) or HOST:PORT").arg(text);
        return false;
    }
    if (h == QLatin1String("localhost"))
        h = QStringLiteral("127.0.0.1");
    if (!host->setAddress(h)) {
        *error = QStringLiteral("'%1' is not an IP address").arg(h);
        return false;
    }
    *port = quint16(n);
    return true;
}

int ReplayCommand::run(const QStringList &arguments, FILE *out, FILE *err)
{
    QCommandLineParser p;
    DaemonConnection daemon;
    daemon.addOptions(p);
    const QCommandLineOption toOpt(QStringLiteral("to"),
                                   QStringLiteral("Local target [HOST:]PORT."),
                                   QStringLiteral("TARGET"));
    const QCommandLineOption speedOpt(QStringLiteral("speed"),
                                      QStringLiteral("Timing factor (1 = original)."),
                                      QStringLiteral("X"), QStringLiteral("1"));
    const QCommandLineOption maxOpt(QStringLiteral("max"), QStringLiteral("As fast as possible."));
    const QCommandLineOption portOpt(
            QStringLiteral("port"),
            QStringLiteral("Server port in the capture (for mid-stream connections)."),
            QStringLiteral("N"));
    const QCommandLineOption midOpt(
            QStringLiteral("join-midstream"),
            QStringLiteral("Also replay connections that began before the capture."));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QStringLiteral("JSON result."));
    const QCommandLineOption connOpt(
            QStringLiteral("connections"),
            QStringLiteral("Only these: session connection ids, or client ADDR:PORTs."),
            QStringLiteral("LIST"));
    // HTTP replay: requests, not bytes.
    const QCommandLineOption httpOpt(
            QStringLiteral("http"),
            QStringLiteral("Replay HTTP requests (rebuilt, rate-controlled), not raw bytes; HTTP/2 "
                           "and gRPC as HTTP/2."));
    const QCommandLineOption rateOpt(QStringLiteral("rate"),
                                     QStringLiteral("--http: requests per second (0 = max)."),
                                     QStringLiteral("RPS"));
    const QCommandLineOption percentOpt(
            QStringLiteral("percent"),
            QStringLiteral("--http: replay this share of the requests, evenly spread."),
            QStringLiteral("P"));
    const QCommandLineOption concurrencyOpt(
            QStringLiteral("concurrency"),
            QStringLiteral("--http: local connections; HTTP/2 streams (8)."), QStringLiteral("N"));
    const QCommandLineOption headerOpt(
            QStringLiteral("header"),
            QStringLiteral("--http: set 'Name: value' on every request (repeatable)."),
            QStringLiteral("H"));
    const QCommandLineOption keepAuthOpt(
            QStringLiteral("keep-auth"),
            QStringLiteral("--http: keep Authorization headers (stripped by default)."));
    const QCommandLineOption compareOpt(
            QStringLiteral("compare"),
            QStringLiteral("--http: compare each answer with the recorded one."));
    const QCommandLineOption reportOpt(QStringLiteral("report"),
                                       QStringLiteral("--http: write the comparison as JSON."),
                                       QStringLiteral("FILE"));
    const QCommandLineOption ignoreOpt(QStringLiteral("ignore-header"),
                                       QStringLiteral("--http: also ignore this header."),
                                       QStringLiteral("NAME"));
    const QCommandLineOption protoOpt(
            QStringLiteral("proto-descriptor"),
            QStringLiteral("--http: name gRPC message fields in the comparison (a "
                           "FileDescriptorSet: protoc --descriptor_set_out=FILE "
                           "--include_imports)."),
            QStringLiteral("FILE"));
    p.addOptions({toOpt, speedOpt, maxOpt, portOpt, midOpt, jsonOpt, connOpt, httpOpt, rateOpt,
                  percentOpt, concurrencyOpt, headerOpt, keepAuthOpt, compareOpt, reportOpt,
                  ignoreOpt, protoOpt});
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap replay"));
    if (!p.parse(args) || p.positionalArguments().size() != 1 || !p.isSet(toOpt)) {
        std::fprintf(err, "usage: podtap replay SESSION|FILE --to [HOST:]PORT [--speed X | --max] "
                          "[--port N] [--join-midstream] [--connections LIST] [--json]\n");
        return 1;
    }
    QHostAddress host;
    quint16 port = 0;
    QString error;
    if (!parseTarget(p.value(toOpt), &host, &port, &error)) {
        std::fprintf(err, "podtap replay: %s\n", qPrintable(error));
        return 1;
    }
    bool ok = true;
    const double speed = p.isSet(maxOpt) ? 0.0 : p.value(speedOpt).toDouble(&ok);
    if (!ok || speed < 0) {
        std::fprintf(err, "podtap replay: --speed must be a positive number\n");
        return 1;
    }
    // A file here is read by the daemon: give it the absolute path.
    QString source = p.positionalArguments().constFirst();
    if (QFileInfo(source).isFile())
        source = QFileInfo(source).absoluteFilePath();
    else if (source.contains(QLatin1Char('/'))) {
        std::fprintf(err, "podtap replay: %s: no such file\n", qPrintable(source));
        return 1;
    }
    QJsonObject params{{QStringLiteral("source"), source},
                       {QStringLiteral("host"), host.toString()},
                       {QStringLiteral("port"), port},
                       {QStringLiteral("speed"), speed},
                       {QStringLiteral("joinMidstream"), p.isSet(midOpt)},
                       {QStringLiteral("allowRemote"), p.value(toOpt).contains(QLatin1Char(':'))},
                       {QStringLiteral("subscribe"), true}};
    if (p.isSet(portOpt)) {
        const Result<quint16> serverPort = PortNumber::parse(p.value(portOpt));
        if (!serverPort) {
            std::fprintf(err, "podtap replay: --port: %s\n", qPrintable(serverPort.error()));
            return 1;
        }
        params[QLatin1String("serverPort")] = serverPort.value();
    }
    if (p.isSet(connOpt)) {
        QJsonArray ids, clients;
        for (const QString &item : p.value(connOpt).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            bool isId = false;
            const qint64 n = item.trimmed().toLongLong(&isId);
            if (isId)
                ids.append(n);
            else
                clients.append(item.trimmed());
        }
        params[QLatin1String("connections")] = ids;
        params[QLatin1String("clients")] = clients;
    }
    const bool http = p.isSet(httpOpt) || p.isSet(compareOpt) || p.isSet(rateOpt)
                      || p.isSet(percentOpt) || p.isSet(reportOpt);
    if (http) {
        params[QLatin1String("http")] = true;
        params[QLatin1String("compare")] = p.isSet(compareOpt) || p.isSet(reportOpt);
        bool numbers = true;
        if (p.isSet(rateOpt))
            params[QLatin1String("rate")] = p.value(rateOpt).toDouble(&numbers);
        if (numbers && p.isSet(percentOpt))
            params[QLatin1String("percent")] = p.value(percentOpt).toDouble(&numbers);
        if (numbers && p.isSet(concurrencyOpt))
            params[QLatin1String("concurrency")] = p.value(concurrencyOpt).toInt(&numbers);
        if (!numbers) {
            std::fprintf(err, "podtap replay: --rate, --percent and --concurrency take numbers\n");
            return 1;
        }
        QJsonObject headers;
        for (const QString &h : p.values(headerOpt)) {
            const qsizetype colon = h.indexOf(QLatin1Char(':'));
            if (colon <= 0) {
                std::fprintf(err, "podtap replay: --header wants 'Name: value' (got '%s')\n",
                             qPrintable(h));
                return 1;
            }
            headers[h.left(colon).trimmed()] = h.mid(colon + 1).trimmed();
        }
        params[QLatin1String("setHeaders")] = headers;
        params[QLatin1String("keepAuth")] = p.isSet(keepAuthOpt);
        params[QLatin1String("ignoreHeaders")] = QJsonArray::fromStringList(p.values(ignoreOpt));
        if (p.isSet(protoOpt)) { // checked here, before the daemon is asked anything
            const auto bytes = ProtoDescriptorSet::readFileBytes(p.value(protoOpt));
            if (!bytes) {
                std::fprintf(err, "podtap replay: --proto-descriptor: %s\n",
                             qPrintable(bytes.error()));
                return 1;
            }
            params[QLatin1String("protoDescriptor")] = QString::fromLatin1(bytes->toBase64());
        }
    }
    auto client = daemon.open(p, err);
    if (!client)
        return DaemonConnection::ExitNoDaemon;

    CompareReport report;
    QEventLoop loop;
    int rc = -1;
    QString stream;
    QJsonObject result;
    QObject guard;
    QObject::connect(client.get(), &IpcClient::event, &guard, [&](const QJsonObject &e) {
        if (e.value(QLatin1String("stream")).toString() != stream)
            return;
        const QString name = e.value(QLatin1String("event")).toString();
        const QJsonObject data = e.value(QLatin1String("data")).toObject();
        if (name == QLatin1String("connections") && !p.isSet(jsonOpt)) {
            for (const QJsonValue c : data.value(QLatin1String("ended")).toArray())
                std::fprintf(out, "connection #%lld: %lld bytes sent, %lld response bytes, %s\n",
                             c[QLatin1String("id")].toInteger(),
                             c[QLatin1String("bytesSent")].toInteger(),
                             c[QLatin1String("responseBytes")].toInteger(),
                             qPrintable(c[QLatin1String("outcome")].toString()));
        } else if (name == QLatin1String("compared")) {
            report.add(data.value(QLatin1String("verdicts")).toArray());
        } else if (name == QLatin1String("progress") && http && !p.isSet(jsonOpt)) {
            report.printProgress(err);
        } else if (name == QLatin1String("done")) {
            result = data;
            const bool success = data.value(QLatin1String("ok")).toBool();
            rc = !success ? 2 : data.value(QLatin1String("localErrors")).toInteger() > 0 ? 5 : 0;
            loop.quit();
        }
    });
    QObject::connect(client.get(), &IpcClient::disconnected, &guard, [&] {
        std::fprintf(err, "podtap replay: lost the connection to podtapd\n");
        rc = DaemonConnection::ExitNoDaemon;
        loop.quit();
    });
    // A fast replay's events can arrive in the same read as this reply, before `stream` is
    // known: they wait until it is.
    client->holdEvents();
    const auto started = client->requestAndWait(QStringLiteral("replay.start"), params);
    if (!started.ok) {
        std::fprintf(err, "podtap replay: %s\n", qPrintable(started.errorMessage));
        return started.errorCode == QLatin1String("not-found") ? 3 : 1;
    }
    stream = started.result.value(QLatin1String("stream")).toString();
    const QString rid = started.result.value(QLatin1String("id")).toString();
    UnixSignalWatcher signals({SIGINT, SIGTERM});
    QObject::connect(&signals, &UnixSignalWatcher::received, &guard, [&] {
        client->request(QStringLiteral("replay.stop"), QJsonObject{{QStringLiteral("id"), rid}},
                        &guard, [](const IpcClient::Reply &) {});
    });
    client->releaseEvents();
    if (rc < 0)
        loop.exec();
    if (http && !result.isEmpty()) {
        report.setAuthoritative(result.value(QLatin1String("compare")).toObject());
        if (p.isSet(reportOpt)) {
            QString reportError;
            const QJsonObject context{{QStringLiteral("source"), source},
                                      {QStringLiteral("replay"), result}};
            if (!report.write(p.value(reportOpt), context, &reportError))
                std::fprintf(err, "podtap replay: %s\n", qPrintable(reportError));
        }
        if (!p.isSet(jsonOpt) && params.value(QLatin1String("compare")).toBool())
            report.printSummary(err);
        if (rc == 0 && result.value(QLatin1String("timeouts")).toInteger() > 0)
            rc = 5;
    }
    if (p.isSet(jsonOpt)) {
        const QByteArray doc = QJsonDocument(result).toJson(QJsonDocument::Indented);
        std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
    } else if (!result.isEmpty()) {
        std::fprintf(rc == 2 ? err : out, "%s\n",
                     qPrintable(result.value(QLatin1String("message")).toString()));
    }
    return rc;
}

} // namespace podtap
