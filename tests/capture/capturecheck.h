#pragma once

#include "backgroundprocess.h"

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

// Helpers shared by the capture tests: paths of the built tools, the trafficgen records,
// `podtap inspect --json`, tshark's follow streams, and the comparisons between them.
namespace CaptureCheck {

QString trafficgen();
QString pcaprewrite();
QString podtap();
// Empty when the test can run; otherwise why it must be skipped (not root, tool missing).
QString missingPrerequisite(bool needTshark = false);

// JSON Lines written by `podtap-trafficgen --record`.
QList<QJsonObject> readRecords(const QString &path, QString *error);

struct Inspect
{
    QJsonObject doc;
    int exitCode = -1;
    QString error; // why it could not run or parse; empty on success
    QByteArray stderrText;
    // Connections by "client|server".
    QHash<QString, QJsonObject> byPair() const;
};
Inspect runInspect(const QString &file, const QStringList &extraArgs = {}, int timeoutMs = 120000);

struct Expect
{
    QString state = QStringLiteral("closed");
    bool midstream = false;
    bool exactConnectionCount = true; // inspect must not report connections nobody recorded
};
// Every successful client record must appear in inspect with the same client/server, and
// c2s == record.sent, s2c == record.received (bytes and SHA-256), zero gap bytes. Server records
// (when given) must mirror the clients'. Returns one line per mismatch.
QStringList compareWithRecords(const Inspect &inspect, const QList<QJsonObject> &clientRecords,
                               const QList<QJsonObject> &serverRecords, const Expect &expect = {});

struct FollowedStream
{
    QString node0; // first sender seen by tshark, "addr:port" ([v6]:port)
    QString node1;
    QByteArray sha256Node0; // hex SHA-256 of node0's reassembled bytes
    QByteArray sha256Node1;
    quint64 bytesNode0 = 0;
    quint64 bytesNode1 = 0;
    quint64 missingBytes = 0; // tshark's "[N bytes missing in capture file]"
};
// One tshark pass with `-z follow,tcp,raw,N` for each stream index.
QList<FollowedStream> tsharkFollow(const QString &file, const QList<int> &streams, QString *error,
                                   int timeoutMs = 180000);
// Up to `count` stream indices spread over 0..total-1 (always the first and the last).
QList<int> sampleStreams(int total, int count);
// Compares tshark's streams with inspect's connections (matched by address pair).
QStringList compareWithTshark(const Inspect &inspect, const QList<FollowedStream> &streams);

QByteArray sha256Hex(const QByteArray &data);
QByteArray emptySha256();

// Runs `trafficgen client` in ns to completion; returns its exit code (-1 on timeout).
int runClient(const QString &ns, const QStringList &args, int timeoutMs, QByteArray *output);

// Server, tcpdump, client: the usual sequence for one capture.
struct Scenario
{
    QString serverNs;      // where the server and tcpdump run
    QString clientNs;      // where the client runs (may equal serverNs: loopback)
    QString listenAddress; // "198.18.0.1" or "[fd00:18::1]" or "127.0.0.1"
    QString captureIface;  // "any", a veth name, "lo"
    QString serverMode = QStringLiteral("http");
    QStringList serverArgs; // extra serve arguments
    QStringList clientArgs; // client arguments without --connect/--record
    QString dir;            // where files go
    QString captureFile;    // defaults to dir/capture.pcap
    int clientTimeoutMs = 120000;
};
struct ScenarioResult
{
    QString error; // empty on success
    quint16 port = 0;
    QList<QJsonObject> clientRecords;
    QList<QJsonObject> serverRecords;
    QByteArray tcpdumpStderr;
    QByteArray clientOutput;
    int clientExit = -1;
    quint64 droppedByKernel = 0;
};
ScenarioResult runScenario(const Scenario &s);

// Starts tcpdump -U -w file -i iface in ns and waits for "listening on".
bool startTcpdump(BackgroundProcess &p, const QString &ns, const QString &iface,
                  const QString &file, const QString &filter, QString *error);
// Gives the kernel a moment to hand over the last packets, then SIGINT; returns kernel drops.
bool stopTcpdump(BackgroundProcess &p, quint64 *dropped, QString *error);

} // namespace CaptureCheck
