#include "capturecheck.h"

#include "netnslab.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QThread>

#include <csignal>
#include <unistd.h>

namespace CaptureCheck {

QString trafficgen()
{
    return QStringLiteral(BINDIR "/tests/tools/podtap-trafficgen");
}

QString pcaprewrite()
{
    return QStringLiteral(BINDIR "/tests/tools/podtap-pcaprewrite");
}

QString podtap()
{
    return QStringLiteral(BINDIR "/cli/podtap");
}

QString missingPrerequisite(bool needTshark)
{
    if (::geteuid() != 0)
        return QStringLiteral("needs root for network namespaces and tcpdump");
    const QStringList tools = {trafficgen(), podtap()};
    for (const QString &t : tools) {
        if (!QFileInfo(t).isExecutable())
            return t + QStringLiteral(" is not built");
    }
    QStringList programs = {QStringLiteral("ip"), QStringLiteral("tcpdump")};
    if (needTshark)
        programs << QStringLiteral("tshark") << QStringLiteral("editcap");
    for (const QString &p : programs) {
        if (QStandardPaths::findExecutable(p).isEmpty()
            && QStandardPaths::findExecutable(
                       p, {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin")})
                       .isEmpty())
            return p + QStringLiteral(" is not installed");
    }
    return {};
}

QByteArray sha256Hex(const QByteArray &data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex();
}

QByteArray emptySha256()
{
    return sha256Hex(QByteArray());
}

QList<QJsonObject> readRecords(const QString &path, QString *error)
{
    QList<QJsonObject> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = path + QStringLiteral(": ") + f.errorString();
        return out;
    }
    int lineNo = 0;
    while (!f.atEnd()) {
        const QByteArray line = f.readLine().trimmed();
        ++lineNo;
        if (line.isEmpty())
            continue;
        QJsonParseError pe;
        const QJsonDocument d = QJsonDocument::fromJson(line, &pe);
        if (!d.isObject()) {
            if (error)
                *error = QStringLiteral("%1:%2: %3").arg(path).arg(lineNo).arg(pe.errorString());
            return {};
        }
        out << d.object();
    }
    return out;
}

QHash<QString, QJsonObject> Inspect::byPair() const
{
    QHash<QString, QJsonObject> h;
    const QJsonArray conns = doc.value(QLatin1String("connections")).toArray();
    for (const QJsonValue &v : conns) {
        const QJsonObject c = v.toObject();
        h.insert(c.value(QLatin1String("client")).toString() + QLatin1Char('|')
                         + c.value(QLatin1String("server")).toString(),
                 c);
    }
    return h;
}

Inspect runInspect(const QString &file, const QStringList &extraArgs, int timeoutMs)
{
    Inspect r;
    QProcess p;
    p.start(podtap(),
            QStringList{QStringLiteral("inspect"), file, QStringLiteral("--json")} + extraArgs);
    if (!p.waitForStarted(5000)) {
        r.error = QStringLiteral("podtap: ") + p.errorString();
        return r;
    }
    QByteArray out;
    const QDeadlineTimer deadline(timeoutMs);
    while (p.state() != QProcess::NotRunning && !deadline.hasExpired()) {
        p.waitForFinished(200);
        out += p.readAllStandardOutput();
        r.stderrText += p.readAllStandardError();
    }
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished(5000);
        r.error = QStringLiteral("podtap inspect timed out on ") + file;
        return r;
    }
    out += p.readAllStandardOutput();
    r.stderrText += p.readAllStandardError();
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    QJsonParseError pe;
    const QJsonDocument d = QJsonDocument::fromJson(out, &pe);
    if (!d.isObject()) {
        r.error = QStringLiteral("inspect output is not a JSON object (%1), exit %2, stderr: %3")
                          .arg(pe.errorString())
                          .arg(r.exitCode)
                          .arg(QString::fromLocal8Bit(r.stderrText.left(500)));
        return r;
    }
    r.doc = d.object();
    return r;
}

namespace {

QString dirText(const QJsonObject &d)
{
    return QStringLiteral("%1 bytes sha %2 gap %3")
            .arg(d.value(QLatin1String("bytes")).toInteger())
            .arg(d.value(QLatin1String("sha256")).toString().left(12))
            .arg(d.value(QLatin1String("gap_bytes")).toInteger());
}

bool sameStream(const QJsonObject &inspectDir, const QJsonObject &recordDir)
{
    return inspectDir.value(QLatin1String("bytes")).toInteger()
                   == recordDir.value(QLatin1String("bytes")).toInteger()
           && inspectDir.value(QLatin1String("sha256")).toString()
                      == recordDir.value(QLatin1String("sha256")).toString()
           && inspectDir.value(QLatin1String("gap_bytes")).toInteger() == 0;
}

} // namespace

QStringList compareWithRecords(const Inspect &inspect, const QList<QJsonObject> &clientRecords,
                               const QList<QJsonObject> &serverRecords, const Expect &expect)
{
    QStringList problems;
    if (!inspect.error.isEmpty())
        return {inspect.error};
    if (inspect.exitCode != 0)
        problems << QStringLiteral("inspect exit code %1, stderr %2")
                            .arg(inspect.exitCode)
                            .arg(QString::fromLocal8Bit(inspect.stderrText.left(300)));
    const QJsonArray errors = inspect.doc.value(QLatin1String("errors")).toArray();
    if (!errors.isEmpty())
        problems << QStringLiteral("inspect errors: ")
                            + QString::fromUtf8(
                                    QJsonDocument(errors).toJson(QJsonDocument::Compact));
    const QHash<QString, QJsonObject> conns = inspect.byPair();
    QHash<QString, QJsonObject> servers;
    for (const QJsonObject &s : serverRecords)
        servers.insert(s.value(QLatin1String("remote")).toString(), s);
    int checked = 0;
    for (const QJsonObject &rec : clientRecords) {
        const QString client = rec.value(QLatin1String("local")).toString();
        const QString server = rec.value(QLatin1String("remote")).toString();
        const QString err = rec.value(QLatin1String("error")).toString();
        if (!err.isEmpty()) {
            problems << QStringLiteral("client %1 failed: %2").arg(client, err);
            continue;
        }
        const QJsonObject sent = rec.value(QLatin1String("sent")).toObject();
        const QJsonObject received = rec.value(QLatin1String("received")).toObject();
        if (!serverRecords.isEmpty()) {
            const auto s = servers.constFind(client);
            if (s == servers.constEnd())
                problems << QStringLiteral("no server record for %1").arg(client);
            else if (s->value(QLatin1String("received")) != sent
                     || s->value(QLatin1String("sent")) != received)
                problems << QStringLiteral(
                                    "server and client records disagree for %1 (generator bug)")
                                    .arg(client);
        }
        const auto it = conns.constFind(client + QLatin1Char('|') + server);
        if (it == conns.constEnd()) {
            const auto rev = conns.constFind(server + QLatin1Char('|') + client);
            problems << (rev != conns.constEnd()
                                 ? QStringLiteral("%1 -> %2: client and server swapped")
                                           .arg(client, server)
                                 : QStringLiteral("%1 -> %2: missing from inspect")
                                           .arg(client, server));
            continue;
        }
        ++checked;
        const QJsonObject c2s = it->value(QLatin1String("c2s")).toObject();
        const QJsonObject s2c = it->value(QLatin1String("s2c")).toObject();
        if (!sameStream(c2s, sent))
            problems << QStringLiteral("%1 -> %2 c2s: inspect %3, sender wrote %4")
                                .arg(client, server, dirText(c2s), dirText(sent));
        if (!sameStream(s2c, received))
            problems << QStringLiteral("%1 -> %2 s2c: inspect %3, server wrote %4")
                                .arg(client, server, dirText(s2c), dirText(received));
        const QString state = it->value(QLatin1String("state")).toString();
        if (!expect.state.isEmpty() && state != expect.state)
            problems << QStringLiteral("%1 -> %2: state %3, expected %4")
                                .arg(client, server, state, expect.state);
        if (it->value(QLatin1String("midstream")).toBool() != expect.midstream)
            problems << QStringLiteral("%1 -> %2: midstream %3, expected %4")
                                .arg(client, server)
                                .arg(it->value(QLatin1String("midstream")).toBool())
                                .arg(expect.midstream);
    }
    if (clientRecords.isEmpty())
        problems << QStringLiteral("no client records");
    if (expect.exactConnectionCount && conns.size() != clientRecords.size())
        problems << QStringLiteral("inspect reports %1 connections, the clients made %2")
                            .arg(conns.size())
                            .arg(clientRecords.size());
    Q_UNUSED(checked);
    return problems;
}

QList<int> sampleStreams(int total, int count)
{
    QList<int> out;
    if (total <= 0)
        return out;
    if (total <= count) {
        for (int i = 0; i < total; ++i)
            out << i;
        return out;
    }
    for (int i = 0; i < count; ++i) {
        const int s = int((qint64(i) * (total - 1)) / (count - 1));
        if (out.isEmpty() || out.last() != s)
            out << s;
    }
    return out;
}

QList<FollowedStream> tsharkFollow(const QString &file, const QList<int> &streams, QString *error,
                                   int timeoutMs)
{
    QList<FollowedStream> out;
    QStringList args{QStringLiteral("-r"), file, QStringLiteral("-q")};
    for (int s : streams)
        args << QStringLiteral("-z") << QStringLiteral("follow,tcp,raw,%1").arg(s);
    QProcess p;
    p.start(QStringLiteral("tshark"), args);
    if (!p.waitForStarted(5000)) {
        *error = QStringLiteral("tshark: ") + p.errorString();
        return out;
    }
    QByteArray text;
    const QDeadlineTimer deadline(timeoutMs);
    while (p.state() != QProcess::NotRunning && !deadline.hasExpired()) {
        p.waitForFinished(200);
        text += p.readAllStandardOutput();
        p.readAllStandardError();
    }
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished(5000);
        *error = QStringLiteral("tshark timed out");
        return out;
    }
    text += p.readAllStandardOutput();
    // Blocks: "Follow: tcp,raw", "Filter: …", "Node 0: a:p", "Node 1: b:p", then hex lines,
    // node 1's indented by a tab, closed by a line of '='.
    static const QRegularExpression missing(QStringLiteral("\\[(\\d+) bytes missing"));
    FollowedStream cur;
    QCryptographicHash h0(QCryptographicHash::Sha256);
    QCryptographicHash h1(QCryptographicHash::Sha256);
    const QList<QByteArray> lines = text.split('\n');
    for (const QByteArray &raw : lines) {
        if (raw.startsWith("====")) {
            if (!cur.node0.isEmpty()) { // end of a block
                cur.sha256Node0 = h0.result().toHex();
                cur.sha256Node1 = h1.result().toHex();
                out << cur;
            }
            cur = FollowedStream();
            h0.reset();
            h1.reset();
            continue;
        }
        if (raw.startsWith("Follow:") || raw.startsWith("Filter:") || raw.trimmed().isEmpty())
            continue;
        if (raw.startsWith("Node 0: ")) {
            cur.node0 = QString::fromLatin1(raw.mid(8).trimmed());
            continue;
        }
        if (raw.startsWith("Node 1: ")) {
            cur.node1 = QString::fromLatin1(raw.mid(8).trimmed());
            continue;
        }
        const bool node1 = raw.startsWith('\t');
        const QByteArray hex = raw.trimmed();
        const QRegularExpressionMatch m = missing.match(QString::fromLatin1(hex));
        if (m.hasMatch()) {
            cur.missingBytes += m.captured(1).toULongLong();
            continue;
        }
        const QByteArray bytes = QByteArray::fromHex(hex);
        if (node1) {
            h1.addData(bytes);
            cur.bytesNode1 += quint64(bytes.size());
        } else {
            h0.addData(bytes);
            cur.bytesNode0 += quint64(bytes.size());
        }
    }
    if (out.size() != streams.size())
        *error = QStringLiteral("tshark printed %1 streams, asked for %2")
                         .arg(out.size())
                         .arg(streams.size());
    return out;
}

namespace {

// tshark writes IPv6 nodes as "[addr]:port" in 4.0; accept "addr:port" too.
QString normaliseNode(const QString &n)
{
    if (n.startsWith(QLatin1Char('[')) || n.count(QLatin1Char(':')) <= 1)
        return n;
    const qsizetype colon = n.lastIndexOf(QLatin1Char(':'));
    return QLatin1Char('[') + n.left(colon) + QStringLiteral("]") + n.mid(colon);
}

} // namespace

QStringList compareWithTshark(const Inspect &inspect, const QList<FollowedStream> &streams)
{
    QStringList problems;
    const QHash<QString, QJsonObject> conns = inspect.byPair();
    for (const FollowedStream &s : streams) {
        const QString n0 = normaliseNode(s.node0);
        const QString n1 = normaliseNode(s.node1);
        QJsonObject c;
        bool node0IsClient = true;
        if (conns.contains(n0 + QLatin1Char('|') + n1)) {
            c = conns.value(n0 + QLatin1Char('|') + n1);
        } else if (conns.contains(n1 + QLatin1Char('|') + n0)) {
            c = conns.value(n1 + QLatin1Char('|') + n0);
            node0IsClient = false;
        } else {
            problems << QStringLiteral("tshark stream %1 <-> %2 not in inspect").arg(n0, n1);
            continue;
        }
        const QByteArray clientSha = node0IsClient ? s.sha256Node0 : s.sha256Node1;
        const QByteArray serverSha = node0IsClient ? s.sha256Node1 : s.sha256Node0;
        const quint64 clientBytes = node0IsClient ? s.bytesNode0 : s.bytesNode1;
        const quint64 serverBytes = node0IsClient ? s.bytesNode1 : s.bytesNode0;
        const QJsonObject c2s = c.value(QLatin1String("c2s")).toObject();
        const QJsonObject s2c = c.value(QLatin1String("s2c")).toObject();
        if (c2s.value(QLatin1String("sha256")).toString().toLatin1() != clientSha
            || quint64(c2s.value(QLatin1String("bytes")).toInteger()) != clientBytes)
            problems << QStringLiteral("%1 -> %2 c2s: inspect %3, tshark %4 bytes sha %5")
                                .arg(n0, n1, dirText(c2s))
                                .arg(clientBytes)
                                .arg(QString::fromLatin1(clientSha.left(12)));
        if (s2c.value(QLatin1String("sha256")).toString().toLatin1() != serverSha
            || quint64(s2c.value(QLatin1String("bytes")).toInteger()) != serverBytes)
            problems << QStringLiteral("%1 -> %2 s2c: inspect %3, tshark %4 bytes sha %5")
                                .arg(n0, n1, dirText(s2c))
                                .arg(serverBytes)
                                .arg(QString::fromLatin1(serverSha.left(12)));
    }
    return problems;
}

int runClient(const QString &ns, const QStringList &args, int timeoutMs, QByteArray *output)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    if (ns.isEmpty())
        p.start(trafficgen(), QStringList{QStringLiteral("client")} + args);
    else
        p.start(QStringLiteral("ip"),
                NetnsLab::execArgs(ns, trafficgen(), QStringList{QStringLiteral("client")} + args));
    if (!p.waitForStarted(5000))
        return -1;
    QByteArray out;
    const QDeadlineTimer deadline(timeoutMs);
    while (p.state() != QProcess::NotRunning && !deadline.hasExpired()) {
        p.waitForFinished(200);
        out += p.readAll();
    }
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished(5000);
        out += p.readAll();
        if (output)
            *output = out;
        return -1;
    }
    out += p.readAll();
    if (output)
        *output = out;
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

bool startTcpdump(BackgroundProcess &p, const QString &ns, const QString &iface,
                  const QString &file, const QString &filter, QString *error)
{
    // -Z root: tcpdump would otherwise drop to user "tcpdump", who cannot write our temp dir.
    // -B: a 64 MiB kernel buffer so bulk transfers are not dropped on a busy 2-core machine.
    QStringList args{QStringLiteral("-U"),
                     QStringLiteral("-w"),
                     file,
                     QStringLiteral("-i"),
                     iface,
                     QStringLiteral("-Z"),
                     QStringLiteral("root"),
                     QStringLiteral("-B"),
                     QStringLiteral("65536"),
                     QStringLiteral("-n")};
    if (!filter.isEmpty())
        args << filter;
    return p.start(ns, QStringLiteral("tcpdump"), args, QByteArrayLiteral("listening on"),
                   QProcess::StandardError, error);
}

bool stopTcpdump(BackgroundProcess &p, quint64 *dropped, QString *error)
{
    // tcpdump (TPACKET_V3, 1 s timeout) hands a ring block to userspace only when it is full or
    // its 1 s retire timer fires; SIGINT earlier loses the packets in the open block.
    QThread::msleep(1500);
    if (!p.stop(SIGINT, error))
        return false;
    static const QRegularExpression re(QStringLiteral("(\\d+) packets? dropped by kernel"));
    const QRegularExpressionMatch m = re.match(QString::fromLocal8Bit(p.stderrText()));
    if (dropped)
        *dropped = m.hasMatch() ? m.captured(1).toULongLong() : 0;
    return true;
}

ScenarioResult runScenario(const Scenario &s)
{
    ScenarioResult r;
    const QString serverRecord = s.dir + QStringLiteral("/server.jsonl");
    const QString clientRecord = s.dir + QStringLiteral("/client.jsonl");
    const QString capture
            = s.captureFile.isEmpty() ? s.dir + QStringLiteral("/capture.pcap") : s.captureFile;
    BackgroundProcess server;
    const QStringList serveArgs = QStringList{QStringLiteral("serve"),
                                              QStringLiteral("--listen"),
                                              s.listenAddress + QStringLiteral(":0"),
                                              QStringLiteral("--mode"),
                                              s.serverMode,
                                              QStringLiteral("--record"),
                                              serverRecord}
                                  + s.serverArgs;
    if (!server.start(s.serverNs, trafficgen(), serveArgs, QByteArrayLiteral("listening "),
                      QProcess::StandardOutput, &r.error))
        return r;
    const QByteArray line = server.readyLine();
    r.port = quint16(line.mid(line.lastIndexOf(':') + 1).trimmed().toUInt());
    BackgroundProcess tcpdump;
    if (!startTcpdump(tcpdump, s.serverNs, s.captureIface, capture,
                      QStringLiteral("tcp port %1").arg(r.port), &r.error))
        return r;
    r.clientExit
            = runClient(s.clientNs,
                        QStringList{QStringLiteral("--connect"),
                                    s.listenAddress + QLatin1Char(':') + QString::number(r.port),
                                    QStringLiteral("--record"), clientRecord}
                                + s.clientArgs,
                        s.clientTimeoutMs, &r.clientOutput);
    QString err;
    if (!stopTcpdump(tcpdump, &r.droppedByKernel, &err))
        r.error = err;
    r.tcpdumpStderr = tcpdump.stderrText();
    // Let the server finish its side (it records a connection when it closes it).
    QThread::msleep(200);
    server.stop(SIGTERM, &err);
    if (r.clientExit != 0 && r.error.isEmpty())
        r.error = QStringLiteral("client exit %1: %2")
                          .arg(r.clientExit)
                          .arg(QString::fromLocal8Bit(r.clientOutput.right(1000)));
    r.clientRecords = readRecords(clientRecord, r.error.isEmpty() ? &r.error : &err);
    r.serverRecords = readRecords(serverRecord, r.error.isEmpty() ? &r.error : &err);
    if (r.droppedByKernel > 0 && r.error.isEmpty())
        r.error = QStringLiteral("tcpdump reports %1 packets dropped by kernel: the capture is "
                                 "incomplete, not the engine's fault")
                          .arg(r.droppedByKernel);
    return r;
}

} // namespace CaptureCheck
