#include "replaycommand.h"

#include "mirror/mirrorsink.h"
#include "replay/replaysession.h"

#include <QCommandLineParser>
#include <QEventLoop>

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
    p.addOptions({toOpt, speedOpt, maxOpt, portOpt, midOpt});
    QStringList args = arguments;
    args.prepend(QStringLiteral("podtap replay"));
    if (!p.parse(args) || p.positionalArguments().size() != 1 || !p.isSet(toOpt)) {
        std::fprintf(err, "usage: podtap replay FILE --to [HOST:]PORT [--speed X | --max] [--port "
                          "N] [--join-midstream]\n");
        return 1;
    }
    ReplaySession::Options o;
    o.file = p.positionalArguments().constFirst();
    QString error;
    if (!parseTarget(p.value(toOpt), &o.host, &o.port, &error)) {
        std::fprintf(err, "podtap replay: %s\n", qPrintable(error));
        return 1;
    }
    if (!MirrorSink::targetAllowed(o.host, p.value(toOpt).contains(QLatin1Char(':')))) {
        std::fprintf(err, "podtap replay: refusing non-loopback target\n");
        return 1;
    }
    bool ok = true;
    o.speed = p.isSet(maxOpt) ? 0.0 : p.value(speedOpt).toDouble(&ok);
    if (!ok || o.speed < 0) {
        std::fprintf(err, "podtap replay: --speed must be a positive number\n");
        return 1;
    }
    o.serverPort = quint16(p.value(portOpt).toUInt());
    o.includeMidstream = p.isSet(midOpt);
    ReplaySession replay(o);
    QEventLoop loop;
    int rc = 0;
    QObject::connect(&replay, &ReplaySession::connectionDone, &loop,
                     [&](quint64 id, const QString &outcome, quint64 bytes, const QByteArray &) {
                         std::fprintf(out, "connection #%llu: %llu bytes sent, %s\n",
                                      static_cast<unsigned long long>(id),
                                      static_cast<unsigned long long>(bytes), qPrintable(outcome));
                     });
    QObject::connect(&replay, &ReplaySession::done, &loop,
                     [&](bool success, const QString &message) {
                         std::fprintf(success ? out : err, "%s\n", qPrintable(message));
                         rc = success ? 0 : 2;
                         loop.quit();
                     });
    if (!replay.start(&error)) {
        std::fprintf(err, "podtap replay: %s\n", qPrintable(error));
        return 1;
    }
    loop.exec();
    if (rc == 0 && replay.stats().localErrors > 0)
        rc = 5; // the local port refused or broke connections
    return rc;
}

} // namespace podtap
