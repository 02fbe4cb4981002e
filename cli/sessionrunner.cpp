#include "sessionrunner.h"
#include "ipc/sessionstoprequest.h"

#include "mirror/mirrorrequeststext.h"

#include "comparereport.h"

#include "ipc/sessionreply.h"

#include "capture/pcapwriter.h"
#include "kube/capturecommand.h"
#include "readerwatch.h"
#include "unixsignalwatcher.h"

#include <QDateTime>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <csignal>
#include <cstring>
#include <memory>

namespace podtap {

void SessionRunner::printSummary(const QJsonObject &s, FILE *to)
{
    auto n = [&s](const char *key) {
        return s.value(QLatin1String(key)).toInteger();
    };
    std::fprintf(
            to, "session %s %s: %s%s%s\n", qPrintable(s.value(QLatin1String("id")).toString()),
            qPrintable(s.value(QLatin1String("title")).toString()),
            qPrintable(s.value(QLatin1String("state")).toString()),
            s.value(QLatin1String("reason")).toString().isEmpty() ? "" : ": ",
            qPrintable(
                    s.value(QLatin1String("reason")).toString().section(QLatin1Char('\n'), 0, 0)));
    if (s.value(QLatin1String("protected")).toBool())
        std::fprintf(to, "  PROTECTED CONTEXT %s (context guard)\n",
                     qPrintable(s.value(QLatin1String("context")).toString()));
    std::fprintf(to, "  %lld packets, %lld bytes, %lld connections, %lld payload bytes missing\n",
                 n("packets"), n("bytes"), n("connections"), n("gapBytes"));
    const QJsonObject loss = s.value(QLatin1String("loss")).toObject();
    const qint64 drops = loss.value(QLatin1String("kernelDrops")).toInteger();
    const qint64 lost = loss.value(QLatin1String("lostOnTheWay")).toInteger();
    const qint64 unread = loss.value(QLatin1String("unreadAtStop")).toInteger();
    if (drops + lost + unread > 0)
        std::fprintf(to,
                     "  loss: %lld dropped by the kernel, %lld lost on the way, %lld unread at "
                     "stop\n",
                     drops, lost, unread);
    const QJsonObject m = s.value(QLatin1String("mirror")).toObject();
    if (m.value(QLatin1String("enabled")).toBool()
        || m.value(QLatin1String("connections")).toInteger() > 0) {
        auto mn = [&m](const char *key) {
            return m.value(QLatin1String(key)).toInteger();
        };
        std::fprintf(to,
                     "  mirror to %s: %lld connections (%lld completed, %lld open), %lld bytes "
                     "mirrored, %lld response bytes; %lld skipped mid-stream, %lld local errors, "
                     "%lld closed by gaps, %lld dropped (local port too slow), %lld reset as "
                     "captured, %lld closed early by the local side, %lld ended unseen (RST)\n",
                     qPrintable(m.value(QLatin1String("to")).toString()), mn("connections"),
                     mn("completed"), mn("open"), mn("bytesMirrored"), mn("responseBytes"),
                     mn("skippedMidstream"), mn("localErrors"), mn("gaps"), mn("dropped"),
                     mn("resets"), mn("localClosed"), mn("incomplete"));
        if (const QString r = MirrorRequestsText::session(m); !r.isEmpty())
            std::fprintf(to, "  mirror: %s\n", qPrintable(r));
        if (const QString t = MirrorRequestsText::tls(m); !t.isEmpty())
            std::fprintf(to, "  mirror: %s\n", qPrintable(t));
        if (const QString h2 = MirrorRequestsText::http2(m); !h2.isEmpty())
            std::fprintf(to, "  mirror: %s\n", qPrintable(h2));
    }
    std::fprintf(to, "  stored in %s\n", qPrintable(s.value(QLatin1String("store")).toString()));
}

int SessionRunner::run(IpcClient &client, const SessionStartRequest &start, const Options &options,
                       FILE *out, FILE *err)
{
    SessionStartRequest request = start;
    request.subscribe = true;
    // The CLI prints no HTTP exchanges and no connection rows (`podtap connections` asks for
    // them): each would cost podtapd a serialisation for it.
    request.skipEvents = QStringList{QStringLiteral("http"), QStringLiteral("connections")};
    request.stopWithClient = !options.detach;
    request.pcap = options.pcapOut != nullptr;
    if (options.pcapng)
        request.pcapFormat = QStringLiteral("pcapng");
    // Its events may arrive with the reply, before the handlers below exist.
    client.holdEvents();
    const auto started = client.requestAndWait(QStringLiteral("session.start"), request.toJson());
    if (!started.ok) {
        std::fprintf(err, "podtap: %s\n", qPrintable(started.errorMessage));
        return started.errorCode == QLatin1String("timeout") ? 2 : 1;
    }
    QString malformed;
    const SessionReply reply = SessionReply::fromJson(started.result, &malformed);
    if (!reply.session || !malformed.isEmpty()) {
        std::fprintf(err, "podtap: podtapd's answer to session.start is not understood: %s\n",
                     qPrintable(malformed.isEmpty() ? QStringLiteral("no session") : malformed));
        return 1;
    }
    const QString id = reply.session->id;
    // The context guard's marker: said first, and again in the summary.
    if (reply.session->isProtected)
        std::fprintf(err,
                     "podtap: *** PROTECTED CONTEXT %s: session %s taps a context the context "
                     "guard protects ***\n",
                     qPrintable(reply.session->context), qPrintable(id));
    std::fprintf(err, "podtap: session %s: %s\n", qPrintable(id), qPrintable(reply.session->title));

    QEventLoop loop;
    int rc = -1;
    bool preflightFailed = false;
    bool everCaptured = false;
    QString lastState;
    QJsonObject final;
    CompareReport report;
    const QString stream = QStringLiteral("session/") + id;
    const QString pcapStream
            = stream + (options.pcapng ? QStringLiteral("/pcapng") : QStringLiteral("/pcap"));
    QObject guard;
    // Live pcap: "pcap-link" names the link type before its first record.
    int pcapLink = -1;
    bool headerWritten = false;
    quint64 pcapPackets = 0;
    bool pcapFailed = false;
    quint32 pcapngInterfaces = 0;
    auto writeHeader = [&](int linkType) {
        headerWritten = true;
        if (!options.pcapng) // podtapd sends the pcapng section header itself
            options.pcapOut->write(
                    PcapWriter::pcapHeader(linkType, CaptureCommand::DefaultSnapLength));
    };
    if (options.pcapOut) {
        QObject::connect(
                &client, &IpcClient::binary, &guard, [&](quint32, const QByteArray &record) {
                    if (pcapFailed)
                        return;
                    if (!headerWritten)
                        writeHeader(pcapLink > 0 ? pcapLink : PcapWriter::Options().linkType);
                    if (options.pcapOut->write(record) != record.size()) {
                        pcapFailed = true;
                        if (options.stopWhenOutputFails) {
                            std::fprintf(err,
                                         "podtap: the capture's reader went away (%s); stopping "
                                         "session %s\n",
                                         qPrintable(options.pcapOut->errorString()),
                                         qPrintable(id));
                            client.request(QStringLiteral("session.stop"),
                                           SessionStopRequest{id}.toJson(), &guard,
                                           [](const IpcClient::Reply &) {});
                            return;
                        }
                        std::fprintf(err,
                                     "podtap: cannot write the pcap output (%s); "
                                     "the session keeps storing: podtap export %s\n",
                                     qPrintable(options.pcapOut->errorString()), qPrintable(id));
                        return;
                    }
                    if (!options.pcapng) {
                        ++pcapPackets;
                        return;
                    }
                    // Whole pcapng blocks: count the packets and the interfaces.
                    for (qsizetype at = 0; at + 8 <= record.size();) {
                        quint32 type = 0, length = 0;
                        std::memcpy(&type, record.constData() + at, 4);
                        std::memcpy(&length, record.constData() + at + 4, 4);
                        if (length < 12)
                            break;
                        pcapPackets += type == 6 ? 1 : 0;
                        pcapngInterfaces += type == 1 ? 1 : 0;
                        at += length;
                    }
                });
    }
    QObject::connect(&client, &IpcClient::event, &guard, [&](const QJsonObject &e) {
        if (options.pcapOut && e.value(QLatin1String("stream")).toString() == pcapStream) {
            const QString name = e.value(QLatin1String("event")).toString();
            const QJsonObject data = e.value(QLatin1String("data")).toObject();
            if (name == QLatin1String("pcap-link")) {
                const int link = data.value(QLatin1String("linkType")).toInt();
                if (headerWritten && link != pcapLink)
                    std::fprintf(err,
                                 "podtap: warning: a pod captures with link type %d: "
                                 "classic pcap holds one; export the session as pcapng "
                                 "for all of it\n",
                                 link);
                if (!headerWritten)
                    pcapLink = link;
            } else if (name == QLatin1String("events-lost")) {
                const qint64 lostBytes = data.value(QLatin1String("binaryBytes")).toInteger();
                if (options.pcapng && pcapngInterfaces > 0 && !pcapFailed) {
                    // Said in the capture too, where Wireshark shows it.
                    PcapWriter::InterfaceStatistics st;
                    st.tsNs = QDateTime::currentMSecsSinceEpoch() * 1000000;
                    st.comment = QStringLiteral("podtap: %1 bytes of the live capture could not "
                                                "be delivered in time here; session %2 stored "
                                                "them (podtap export %2)")
                                         .arg(lostBytes)
                                         .arg(id);
                    options.pcapOut->write(PcapWriter::pcapngStatistics(0, st));
                }
                std::fprintf(err,
                             "podtap: warning: %lld bytes of live pcap could not be sent "
                             "to this terminal in time; the session stored them (podtap "
                             "export %s)\n",
                             data.value(QLatin1String("binaryBytes")).toInteger(), qPrintable(id));
            }
            return;
        }
        if (e.value(QLatin1String("stream")).toString() != stream)
            return;
        const QString name = e.value(QLatin1String("event")).toString();
        const QJsonObject data = e.value(QLatin1String("data")).toObject();
        const QString message = data.value(QLatin1String("message")).toString();
        if (name == QLatin1String("progress")) {
            std::fprintf(err, "podtap: %s\n", qPrintable(message));
        } else if (name == QLatin1String("warning") || name == QLatin1String("events-lost")) {
            std::fprintf(err, "podtap: warning: %s\n", qPrintable(message));
        } else if (name == QLatin1String("preflight")) {
            if (!data.value(QLatin1String("passed")).toBool())
                preflightFailed = true;
        } else if (name == QLatin1String("state")) {
            const QString state = data.value(QLatin1String("state")).toString();
            const QString reason = data.value(QLatin1String("reason")).toString();
            if (state == lastState)
                return;
            lastState = state;
            if (state == QLatin1String("capturing")) {
                everCaptured = true;
                std::fprintf(err, "podtap: session %s capturing%s\n", qPrintable(id),
                             options.detach ? "" : " (Ctrl-C stops it)");
                if (options.detach) {
                    std::fprintf(out, "%s\n", qPrintable(id));
                    rc = 0;
                    loop.quit();
                }
            } else if (state != QLatin1String("stopped") && state != QLatin1String("failed")) {
                std::fprintf(err, "podtap: session %s %s%s%s\n", qPrintable(id), qPrintable(state),
                             reason.isEmpty() ? "" : ": ", qPrintable(reason));
            }
        } else if (name == QLatin1String("compared")) {
            report.add(data.value(QLatin1String("verdicts")).toArray());
            if (options.compare && !options.json)
                report.printProgress(err);
        } else if (name == QLatin1String("mirror") && options.verbose) {
            for (const QJsonValue c : data.value(QLatin1String("ended")).toArray())
                std::fprintf(err, "podtap: mirrored connection %lld: %lld bytes, %s\n",
                             c[QLatin1String("id")].toInteger(),
                             c[QLatin1String("bytesMirrored")].toInteger(),
                             qPrintable(c[QLatin1String("outcome")].toString()));
        } else if (name == QLatin1String("finished")) {
            final = data;
            const QString state = data.value(QLatin1String("state")).toString();
            if (state == QLatin1String("failed")) {
                std::fprintf(err, "podtap: session %s failed: %s\n", qPrintable(id),
                             qPrintable(data.value(QLatin1String("reason")).toString()));
                rc = preflightFailed ? 4 : everCaptured ? 6 : 5;
            } else {
                rc = 0;
            }
            loop.quit();
        }
    });
    QObject::connect(&client, &IpcClient::disconnected, &guard, [&] {
        std::fprintf(err,
                     "podtap: lost the connection to podtapd; session %s may have ended with it "
                     "(podtap sessions)\n",
                     qPrintable(id));
        rc = 2;
        loop.quit();
    });
    // The reader of a pipe may go while the pod is quiet, when no write would tell.
    std::unique_ptr<ReaderWatch> reader;
    if (options.pcapOut && options.stopWhenOutputFails) {
        if (auto *file = qobject_cast<QFile *>(options.pcapOut)) {
            reader = std::make_unique<ReaderWatch>(file->handle());
            QObject::connect(reader.get(), &ReaderWatch::gone, &guard, [&] {
                if (pcapFailed)
                    return;
                pcapFailed = true;
                std::fprintf(err, "podtap: the capture's reader went away; stopping session %s\n",
                             qPrintable(id));
                client.request(QStringLiteral("session.stop"), SessionStopRequest{id}.toJson(),
                               &guard, [](const IpcClient::Reply &) {});
            });
        }
    }
    UnixSignalWatcher signals({SIGINT, SIGTERM, SIGHUP});
    QObject::connect(&signals, &UnixSignalWatcher::received, &guard, [&] {
        std::fprintf(err,
                     "podtap: stopping session %s (the tap stays in the pod; tcpdump is "
                     "stopped)\n",
                     qPrintable(id));
        client.request(QStringLiteral("session.stop"), SessionStopRequest{id}.toJson(), &guard,
                       [](const IpcClient::Reply &) {});
    });
    client.releaseEvents(); // what came with the reply, in order; it may already end it
    if (rc < 0)
        loop.exec();
    if (options.detach && rc == 0) {
        std::fprintf(err, "podtap: session %s runs in podtapd; `podtap stop %s` ends it\n",
                     qPrintable(id), qPrintable(id));
        return 0;
    }
    if (options.pcapOut) {
        if (!headerWritten)
            writeHeader(pcapLink > 0 ? pcapLink : PcapWriter::Options().linkType);
        std::fprintf(err, "podtap: %llu packets written\n",
                     static_cast<unsigned long long>(pcapPackets));
    }
    if (!final.isEmpty() && options.compare) {
        report.setAuthoritative(final.value(QLatin1String("compare")).toObject());
        if (!options.reportPath.isEmpty()) {
            QString error;
            const QJsonObject context{
                    {QStringLiteral("session"), id},
                    {QStringLiteral("title"), final.value(QLatin1String("title"))},
                    {QStringLiteral("mirror"),
                     final.value(QLatin1String("mirror")).toObject().value(QLatin1String("to"))}};
            if (report.write(options.reportPath, context, &error))
                std::fprintf(err, "podtap: comparison report written to %s\n",
                             qPrintable(options.reportPath));
            else
                std::fprintf(err, "podtap: %s\n", qPrintable(error));
        }
    }
    if (!final.isEmpty()) {
        if (options.compare && !options.json)
            report.printSummary(err);
        if (options.json) {
            const QByteArray doc = QJsonDocument(final).toJson(QJsonDocument::Indented);
            std::fwrite(doc.constData(), 1, std::size_t(doc.size()), out);
        } else {
            printSummary(final, err);
        }
    }
    return rc;
}

} // namespace podtap
