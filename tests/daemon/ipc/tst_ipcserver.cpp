// The daemon's local socket with real sockets: permissions, peer check, framing faults.
#include "ipc/ipcclient.h"
#include "ipc/ipcframe.h"
#include "ipc/ipcframedecoder.h"
#include "ipc/ipcserver.h"

#include <QDir>
#include <QElapsedTimer>
#include <QLocalSocket>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

using namespace podtap;

namespace {
int openFds()
{
    return int(QDir(QStringLiteral("/proc/self/fd"))
                       .entryList(QDir::NoDotAndDotDot | QDir::AllEntries)
                       .size());
}
} // namespace

class TestIpcServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void decoderAnyChunking();
    void decoderRejects_data();
    void decoderRejects();
    void permissionsWhateverTheUmask();
    void handshakeAndRequests();
    void oversizedFramesAreRefusedAtTheSource();
    void garbageClosesOnlyThatClient();
    void wrongProtocolVersion();
    void staleSocketIsReplacedLiveOneIsNot();
    void rapidConnectDisconnectLeaksNothing();
    void otherUidIsRefused();
    void aFolderItDidNotCreateIsNotChmodded();
    void anotherUsersSocketIsNotSpokenTo();
    void subscriptionsAndSlowReaders();
    void eventsRightBehindAReplyWaitForTheCaller();

private:
    QTemporaryDir *m_dir = nullptr;
    IpcServer *m_server = nullptr;
    QString m_path;
};

void TestIpcServer::init()
{
    m_dir = new QTemporaryDir;
    m_path = m_dir->filePath(QStringLiteral("run/podtap/podtapd.sock"));
    m_server = new IpcServer;
    m_server->setHandler(
            [this](IpcPeer *peer, qint64 id, const QString &method, const QJsonObject &params) {
                if (method == QLatin1String("echo"))
                    peer->reply(id, params);
                else if (method == QLatin1String("huge"))
                    // More than one frame may hold (a page asked too big).
                    peer->reply(id, {{QStringLiteral("data"),
                                      QString(IpcFrame::MaxFrameBytes, QLatin1Char('x'))}});
                else if (method == QLatin1String("guarded"))
                    peer->replyError(id, IpcError{IpcError::ProtectedContext,
                                                  QStringLiteral("context 'prod' is protected"),
                                                  QStringLiteral("prod"), QStringLiteral("shop"),
                                                  QStringLiteral("deployment/web")});
                else if (method == QLatin1String("start-fast")) {
                    // Like a replay that ends at once: its events follow the reply in the
                    // same write.
                    peer->subscribe(QStringLiteral("replay/r1"));
                    peer->reply(id, {{QStringLiteral("stream"), QStringLiteral("replay/r1")}});
                    m_server->publish(QStringLiteral("replay/r1"), QStringLiteral("progress"), {});
                    m_server->publish(QStringLiteral("replay/r1"), QStringLiteral("done"), {});
                } else if (method == QLatin1String("subscribe")) {
                    peer->subscribe(params.value(QLatin1String("stream")).toString());
                    peer->reply(id, {});
                } else
                    peer->replyError(id, QStringLiteral("unknown-method"),
                                     QStringLiteral("unknown method %1").arg(method));
            });
}

void TestIpcServer::cleanup()
{
    delete m_server;
    delete m_dir;
}

void TestIpcServer::decoderAnyChunking()
{
    QByteArray stream;
    stream += IpcFrame::encodeJson({{QStringLiteral("a"), 1}});
    stream += IpcFrame::encodeBinary(7, QByteArray(100000, 'x'));
    stream += IpcFrame::encodeJson({{QStringLiteral("b"), QStringLiteral("ü")}});
    for (int trial = 0; trial < 50; ++trial) {
        IpcFrameDecoder d;
        QList<IpcFrame> frames;
        qsizetype pos = 0;
        while (pos < stream.size()) {
            const qsizetype n = qsizetype(QRandomGenerator::global()->bounded(1, 5000));
            frames += d.feed(stream.mid(pos, n));
            pos += n;
        }
        QCOMPARE(frames.size(), 3);
        QCOMPARE(frames[0].json.value(QLatin1String("a")).toInt(), 1);
        QCOMPARE(frames[1].streamId, 7u);
        QCOMPARE(frames[1].data, QByteArray(100000, 'x'));
        QCOMPARE(frames[2].json.value(QLatin1String("b")).toString(), QStringLiteral("ü"));
        QVERIFY(!d.failed());
        QCOMPARE(d.buffered(), qsizetype(0));
    }
}

void TestIpcServer::decoderRejects_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addRow("zero length") << QByteArray(4, '\0');
    QTest::addRow("oversized") << QByteArray("\x7f\xff\xff\xff\x01", 5);
    QTest::addRow("unknown kind") << QByteArray("\x00\x00\x00\x02\x09x", 6);
    QTest::addRow("json array") << QByteArray("\x00\x00\x00\x03\x01[]", 7);
    QTest::addRow("binary without id") << QByteArray("\x00\x00\x00\x02\x02x", 6);
}

void TestIpcServer::decoderRejects()
{
    QFETCH(QByteArray, bytes);
    IpcFrameDecoder d;
    QVERIFY(d.feed(bytes).isEmpty());
    QVERIFY(d.failed());
    QVERIFY(!d.error().isEmpty());
}

void TestIpcServer::permissionsWhateverTheUmask()
{
    const mode_t old = umask(0);
    auto r = m_server->listen(m_path);
    umask(old);
    QVERIFY2(r.ok(), qPrintable(r.error()));
    struct stat st
    {
    };
    QCOMPARE(::stat(QFile::encodeName(QFileInfo(m_path).absolutePath()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, mode_t(0700));
    QCOMPARE(::stat(QFile::encodeName(m_path).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, mode_t(0600));
    QVERIFY(S_ISSOCK(st.st_mode));
    QVERIFY(!m_server->listen(QStringLiteral("relative.sock")).ok());
}

void TestIpcServer::handshakeAndRequests()
{
    QVERIFY(m_server->listen(m_path).ok());
    IpcClient c;
    c.connectToDaemon(m_path, QStringLiteral("test"));
    QVERIFY(c.waitForReady(5000));
    const auto r = c.requestAndWait(QStringLiteral("echo"), {{QStringLiteral("x"), 42}});
    QVERIFY(r.ok);
    QCOMPARE(r.result.value(QLatin1String("x")).toInt(), 42);
    const auto u = c.requestAndWait(QStringLiteral("nope"));
    QVERIFY(!u.ok);
    QCOMPARE(u.errorCode, QStringLiteral("unknown-method"));
}

void TestIpcServer::oversizedFramesAreRefusedAtTheSource()
{
    QVERIFY(m_server->listen(m_path).ok());
    IpcClient c;
    c.connectToDaemon(m_path, QStringLiteral("test"));
    QVERIFY(c.waitForReady(5000));
    QSignalSpy lost(&c, &IpcClient::disconnected);
    QSignalSpy failed(&c, &IpcClient::failed);

    // The daemon does not send a reply over the frame limit: the request gets "too-large".
    const auto big = c.requestAndWait(QStringLiteral("huge"));
    QVERIFY(!big.ok);
    QCOMPARE(big.errorCode, IpcError::TooLarge);
    QCOMPARE(big.error.code, IpcError::TooLarge);
    QVERIFY2(big.errorMessage.contains(QString::number(IpcFrame::MaxFrameBytes)),
             qPrintable(big.errorMessage));

    // Nor does the client send one (the daemon would close the connection for it).
    const auto out = c.requestAndWait(
            QStringLiteral("echo"),
            {{QStringLiteral("data"), QString(IpcFrame::MaxFrameBytes, QLatin1Char('y'))}});
    QVERIFY(!out.ok);
    QCOMPARE(out.errorCode, IpcError::TooLarge);

    // Both refusals left the connection as it was.
    const auto r = c.requestAndWait(QStringLiteral("echo"), {{QStringLiteral("x"), 1}});
    QVERIFY2(r.ok, qPrintable(r.errorMessage));
    QCOMPARE(lost.size(), 0);
    QCOMPARE(failed.size(), 0);

    // Structured error fields reach the client.
    const auto g = c.requestAndWait(QStringLiteral("guarded"));
    QCOMPARE(g.error.code, IpcError::ProtectedContext);
    QCOMPARE(g.error.context, QStringLiteral("prod"));
    QCOMPARE(g.error.ns, QStringLiteral("shop"));
    QCOMPARE(g.error.target, QStringLiteral("deployment/web"));
    QCOMPARE(g.errorMessage, QStringLiteral("context 'prod' is protected"));
}

void TestIpcServer::garbageClosesOnlyThatClient()
{
    QVERIFY(m_server->listen(m_path).ok());
    IpcClient good;
    good.connectToDaemon(m_path, QStringLiteral("good"));
    QVERIFY(good.waitForReady(5000));

    for (const QByteArray &garbage : {QByteArray("GET / HTTP/1.1\r\n\r\n"), QByteArray(64, '\xff'),
                                      QByteArray("\x00\x00\x00\x05\x01{}", 7) /* half-written */}) {
        QLocalSocket bad;
        bad.connectToServer(m_path);
        QVERIFY(bad.waitForConnected(2000));
        QJsonObject hello{{QStringLiteral("type"), QStringLiteral("hello")},
                          {QStringLiteral("protocol"), IpcFrame::ProtocolVersion}};
        bad.write(IpcFrame::encodeJson(hello));
        bad.write(garbage);
        bad.flush();
        if (garbage.size() == 7) {
            bad.disconnectFromServer(); // a client dying mid-frame
        } else {
            QTRY_COMPARE_WITH_TIMEOUT(bad.state(), QLocalSocket::UnconnectedState, 5000);
        }
        const auto r
                = good.requestAndWait(QStringLiteral("echo"), {{QStringLiteral("still"), true}});
        QVERIFY(r.ok);
        QVERIFY(r.result.value(QLatin1String("still")).toBool());
    }
}

void TestIpcServer::wrongProtocolVersion()
{
    QVERIFY(m_server->listen(m_path).ok());
    QLocalSocket s;
    s.connectToServer(m_path);
    QVERIFY(s.waitForConnected(2000));
    s.write(IpcFrame::encodeJson(
            {{QStringLiteral("type"), QStringLiteral("hello")}, {QStringLiteral("protocol"), 99}}));
    QTRY_COMPARE_WITH_TIMEOUT(s.state(), QLocalSocket::UnconnectedState, 5000);
    IpcFrameDecoder d;
    const auto frames = d.feed(s.readAll());
    QCOMPARE(frames.size(), 1);
    QCOMPARE(frames[0].json.value(QLatin1String("type")).toString(), QStringLiteral("error"));
    QVERIFY(frames[0]
                    .json.value(QLatin1String("message"))
                    .toString()
                    .contains(QLatin1String("protocol 1")));
}

void TestIpcServer::staleSocketIsReplacedLiveOneIsNot()
{
    QVERIFY(m_server->listen(m_path).ok());
    IpcServer second;
    const auto r = second.listen(m_path);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().contains(QLatin1String("already running")), qPrintable(r.error()));
    // A socket file left behind by a dead daemon:
    delete m_server;
    m_server = nullptr;
    QLocalServer dead;
    QVERIFY(dead.listen(m_path));
    dead.close(); // QLocalServer removes its file on close: recreate a stale one by hand
    QFile stale(m_path);
    QVERIFY(stale.open(QIODevice::WriteOnly));
    stale.close();
    m_server = new IpcServer;
    const auto again = m_server->listen(m_path);
    QVERIFY2(again.ok(), qPrintable(again.error()));
}

void TestIpcServer::rapidConnectDisconnectLeaksNothing()
{
    QVERIFY(m_server->listen(m_path).ok());
    auto cycle = [&](int n) {
        for (int i = 0; i < n; ++i) {
            QLocalSocket s;
            s.connectToServer(m_path);
            QVERIFY(s.waitForConnected(2000));
            s.disconnectFromServer();
            QCoreApplication::processEvents(); // let the server accept, as it would live
        }
        QTRY_COMPARE_WITH_TIMEOUT(m_server->peerCount(), 0, 10000);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    };
    cycle(50);
    const int before = openFds();
    cycle(1000);
    QTest::qWait(100);
    QCOMPARE(openFds(), before);
}

void TestIpcServer::aFolderItDidNotCreateIsNotChmodded()
{
    // The user's own folder, readable by their group: --socket there must not lock it.
    const QString dir = m_dir->filePath(QStringLiteral("projects"));
    QVERIFY(QDir().mkpath(dir));
    QCOMPARE(::chmod(QFile::encodeName(dir).constData(), 0750), 0);
    const QString path = dir + QStringLiteral("/podtapd.sock");
    QVERIFY(m_server->listen(path).ok());
    struct stat st = {};
    QCOMPARE(::stat(QFile::encodeName(dir).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, mode_t(0750));
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, mode_t(0600)); // the socket is private all the same
    IpcClient c;
    c.connectToDaemon(path, QStringLiteral("test"));
    QVERIFY(c.waitForReady(5000));
}

void TestIpcServer::anotherUsersSocketIsNotSpokenTo()
{
    QVERIFY(m_server->listen(m_path).ok());
    // Not a socket at all.
    const QString file = m_dir->filePath(QStringLiteral("plain-file.sock"));
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
    }
    IpcClient notSocket;
    QSignalSpy failedPlain(&notSocket, &IpcClient::failed);
    notSocket.connectToDaemon(file, QStringLiteral("test"));
    QVERIFY(!notSocket.waitForReady(5000));
    QVERIFY2(notSocket.refusal().contains(QLatin1String("is not a socket")),
             qPrintable(notSocket.refusal()));
    QTRY_COMPARE(failedPlain.size(), 1);
    if (geteuid() != 0)
        QSKIP("needs root to give the socket to another uid");
    // A live socket that another user owns (a rogue "podtapd" in a shared folder): refused
    // before a byte is sent, at once rather than after a timeout.
    QCOMPARE(::chown(QFile::encodeName(m_path).constData(), 65534, 65534), 0);
    IpcClient c;
    QElapsedTimer t;
    t.start();
    c.connectToDaemon(m_path, QStringLiteral("test"));
    QVERIFY(!c.waitForReady(5000));
    QVERIFY(t.elapsed() < 1000);
    QVERIFY2(c.refusal().contains(QLatin1String("belongs to uid 65534")), qPrintable(c.refusal()));
}

void TestIpcServer::otherUidIsRefused()
{
    if (geteuid() != 0)
        QSKIP("needs root to connect as another uid");
    QVERIFY(m_server->listen(m_path).ok());
    // Open the path up so the other uid can reach connect(): the peer check must still refuse.
    ::chmod(QFile::encodeName(m_path).constData(), 0777);
    for (QString d = QFileInfo(m_path).absolutePath(); d.startsWith(m_dir->path());
         d = QFileInfo(d).absolutePath())
        ::chmod(QFile::encodeName(d).constData(), 0755);
    const QByteArray path = QFile::encodeName(m_path);
    const pid_t child = fork();
    if (child == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(3);
        const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.constData(), sizeof addr.sun_path - 1);
        if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
            _exit(4);
        const QByteArray hello
                = IpcFrame::encodeJson({{QStringLiteral("type"), QStringLiteral("hello")},
                                        {QStringLiteral("protocol"), 1}});
        (void)!::write(fd, hello.constData(), size_t(hello.size()));
        char buf[256];
        const ssize_t n = ::read(fd, buf, sizeof buf); // closed (or reset) without a welcome
        _exit(n <= 0 ? 0 : 5);
    }
    int status = 0;
    QElapsedTimer t;
    t.start();
    while (waitpid(child, &status, WNOHANG) == 0 && t.elapsed() < 10000)
        QTest::qWait(20);
    QVERIFY(WIFEXITED(status));
    QCOMPARE(WEXITSTATUS(status), 0);
    QCOMPARE(m_server->refusedPeers(), quint64(1));
}

// Events reach subscribers only; a client that stops reading costs the daemon at most
// MaxPendingBytes, and learns what it missed (events-lost) once it reads again.
void TestIpcServer::eventsRightBehindAReplyWaitForTheCaller()
{
    QVERIFY(m_server->listen(m_path).ok());
    IpcClient client;
    client.connectToDaemon(m_path, QStringLiteral("cli"));
    QVERIFY(client.waitForReady(5000));
    QStringList seen;
    QString stream; // known only from the reply, as in `podtap replay`
    connect(&client, &IpcClient::event, this, [&](const QJsonObject &e) {
        if (e.value(QLatin1String("stream")).toString() == stream)
            seen << e.value(QLatin1String("event")).toString();
    });
    client.holdEvents();
    const auto r = client.requestAndWait(QStringLiteral("start-fast"));
    QVERIFY(r.ok);
    QTest::qWait(100); // the events are here by now, and held
    QVERIFY(seen.isEmpty());
    stream = r.result.value(QLatin1String("stream")).toString();
    client.releaseEvents();
    QCOMPARE(seen, (QStringList{QStringLiteral("progress"), QStringLiteral("done")}));
}

void TestIpcServer::subscriptionsAndSlowReaders()
{
    QVERIFY(m_server->listen(m_path).ok());
    IpcClient fast, other;
    fast.connectToDaemon(m_path, QStringLiteral("fast"));
    other.connectToDaemon(m_path, QStringLiteral("other"));
    QVERIFY(fast.waitForReady(5000) && other.waitForReady(5000));
    QVERIFY(fast.requestAndWait(QStringLiteral("subscribe"),
                                {{QStringLiteral("stream"), QStringLiteral("session/1")}})
                    .ok);
    QSignalSpy fastEvents(&fast, &IpcClient::event);
    QSignalSpy otherEvents(&other, &IpcClient::event);
    m_server->publish(QStringLiteral("session/1"), QStringLiteral("stats"), {});
    m_server->publish(QStringLiteral("session/2"), QStringLiteral("stats"), {});
    QTRY_COMPARE(fastEvents.size(), 1);
    QTest::qWait(100);
    QCOMPARE(otherEvents.size(), 0);

    // A raw client that subscribes and then never reads.
    QLocalSocket slow;
    slow.setReadBufferSize(64 * 1024); // or Qt reads everything for us in the event loop
    slow.connectToServer(m_path);
    QVERIFY(slow.waitForConnected(2000));
    slow.write(IpcFrame::encodeJson({{QStringLiteral("type"), QStringLiteral("hello")},
                                     {QStringLiteral("protocol"), IpcFrame::ProtocolVersion}}));
    slow.write(IpcFrame::encodeJson(
            {{QStringLiteral("type"), QStringLiteral("request")},
             {QStringLiteral("id"), 1},
             {QStringLiteral("method"), QStringLiteral("subscribe")},
             {QStringLiteral("params"),
              QJsonObject{{QStringLiteral("stream"), QStringLiteral("session/1")}}}}));
    slow.flush();
    QTRY_VERIFY(m_server->peerCount() == 3);
    QTest::qWait(200);
    const QString blob(64 * 1024, QLatin1Char('x'));
    const int events = 3000; // ~200 MB offered, far beyond the 64 MiB limit
    IpcPeer *slowPeer = nullptr;
    IpcPeer *fastPeer = nullptr;
    for (IpcPeer *p : m_server->peers()) {
        if (p->clientName().isEmpty())
            slowPeer = p;
        if (p->clientName() == QLatin1String("fast"))
            fastPeer = p;
    }
    QVERIFY(slowPeer && fastPeer);
    qint64 maxPending = 0;
    for (int i = 0; i < events; ++i) {
        m_server->publish(QStringLiteral("session/1"), QStringLiteral("stats"),
                          {{QStringLiteral("i"), i}, {QStringLiteral("blob"), blob}});
        maxPending = std::max(maxPending, slowPeer->pendingBytes());
        // The fast client lives in this thread: let it read, as a real one would.
        while (fastPeer->pendingBytes() > 4 * 1024 * 1024)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    }
    QVERIFY2(maxPending <= IpcPeer::MaxPendingBytes + 256 * 1024,
             qPrintable(QStringLiteral("%1 bytes queued for a client that never reads")
                                .arg(maxPending)));
    // The fast client got everything, in order.
    QTRY_COMPARE_WITH_TIMEOUT(fastEvents.size(), 1 + events, 20000);

    // Now the slow one reads: what it missed is announced before the next event.
    slow.setReadBufferSize(0);
    QByteArray got;
    IpcFrameDecoder decoder;
    int stats = 0;
    bool lostSeen = false;
    qint64 lostCount = 0;
    m_server->publish(QStringLiteral("session/1"), QStringLiteral("stats"),
                      {{QStringLiteral("i"), -1}});
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 20000) {
        if (slow.waitForReadyRead(100)) {
            for (const IpcFrame &f : decoder.feed(slow.readAll())) {
                const QString name = f.json.value(QLatin1String("event")).toString();
                if (name == QLatin1String("stats"))
                    ++stats;
                if (name == QLatin1String("events-lost")) {
                    lostSeen = true;
                    lostCount = f.json[QLatin1String("data")][QLatin1String("events")].toInteger();
                }
            }
        }
        QCoreApplication::processEvents();
        if (lostSeen && stats > 0 && slowPeer->pendingBytes() == 0)
            break;
        if (slowPeer->pendingBytes() == 0 && !lostSeen && stats > 0)
            m_server->publish(QStringLiteral("session/1"), QStringLiteral("stats"),
                              {{QStringLiteral("i"), -2}});
    }
    QVERIFY2(lostSeen, qPrintable(QStringLiteral("stats %1, still pending %2, decoder %3")
                                          .arg(stats)
                                          .arg(slowPeer->pendingBytes())
                                          .arg(decoder.error())));
    QVERIFY(lostCount > 0);
    // Every offered event was either delivered or counted as lost.
    QVERIFY2(stats - 1 + lostCount >= events,
             qPrintable(QStringLiteral("delivered %1, lost %2, offered %3")
                                .arg(stats)
                                .arg(lostCount)
                                .arg(events)));
}

QTEST_GUILESS_MAIN(TestIpcServer)
#include "tst_ipcserver.moc"
