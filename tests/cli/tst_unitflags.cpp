// The real podtap binary refuses a size or duration it cannot read (exit 1, usage: the value
// quoted, the units named), or a --proto-descriptor file that is not a descriptor set, before
// it asks a daemon or a cluster anything, and reads a good one with its unit: a typo must
// never become 0, which means "no limit".
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestUnitFlags : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void refused_data();
    void refused();
    void accepted_data();
    void accepted();

private:
    struct Run
    {
        int code = -1;
        QByteArray err;
    };
    Run podtap(const QStringList &args) const;
    QTemporaryDir m_dir;
};

void TestUnitFlags::initTestCase()
{
    QVERIFY2(QFile::exists(QStringLiteral(BINDIR "/cli/podtap")), "cli/podtap was not built");
    QVERIFY(m_dir.isValid());
    // --proto-descriptor files: a FileDescriptorSet{file{name "a.proto" message_type{name "M"
    // field{name "f" number 1 type TYPE_STRING}}}}, and not one.
    QFile set(m_dir.filePath(QStringLiteral("set.pb")));
    QVERIFY(set.open(QIODevice::WriteOnly));
    set.write(QByteArray::fromBase64("ChcKB2EucHJvdG8iDAoBTRIHCgFmGAEoCQ=="));
    QFile source(m_dir.filePath(QStringLiteral("a.proto")));
    QVERIFY(source.open(QIODevice::WriteOnly));
    source.write("syntax = \"proto3\";\nmessage M { string f = 1; }\n");
}

TestUnitFlags::Run TestUnitFlags::podtap(const QStringList &args) const
{
    // A runtime folder of its own and --no-start: a run that got past the parsing finds no
    // daemon (and starts none) instead of reaching the user's. KUBECONFIG points nowhere, so
    // a direct capture that got past it could not reach a cluster either.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_dir.path());
    env.insert(QStringLiteral("XDG_STATE_HOME"), m_dir.path());
    env.remove(QStringLiteral("PODTAP_SOCKET"));
    env.insert(QStringLiteral("KUBECONFIG"), m_dir.filePath(QStringLiteral("no-kubeconfig")));
    QProcess p;
    p.setProcessEnvironment(env);
    p.setWorkingDirectory(m_dir.path()); // relative file arguments are its files
    // capture --direct and preflight use no daemon and have no --no-start.
    const bool direct = args.contains(QStringLiteral("--direct"))
                        || args.constFirst() == QStringLiteral("preflight");
    p.start(QStringLiteral(BINDIR "/cli/podtap"),
            direct ? args : args + QStringList{QStringLiteral("--no-start")});
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        return {};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardError()};
}

namespace {
QStringList mirror(const QStringList &extra)
{
    return QStringList{QStringLiteral("mirror"), QStringLiteral("deploy/web"),
                       QStringLiteral("--port"), QStringLiteral("8080"),
                       QStringLiteral("--to"),   QStringLiteral("9090")}
           + extra;
}

QStringList replay(const QStringList &extra)
{
    return QStringList{QStringLiteral("replay"), QStringLiteral("3"),
                       QStringLiteral("--to"),   QStringLiteral("9090"),
                       QStringLiteral("--http"), QStringLiteral("--compare")}
           + extra;
}

QStringList capture(const QStringList &extra)
{
    return QStringList{QStringLiteral("capture"), QStringLiteral("deploy/web"),
                       QStringLiteral("--port"), QStringLiteral("8080")}
           + extra;
}
} // namespace

void TestUnitFlags::refused_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::addRow("mirror --max-bytes 10X")
            << mirror({QStringLiteral("--max-bytes"), QStringLiteral("10X")})
            << QStringLiteral("podtap mirror: --max-bytes: invalid size '10X': expected a number "
                              "with an optional unit (k, M, G, …)");
    QTest::addRow("capture --max-bytes negative")
            << capture({QStringLiteral("--max-bytes"), QStringLiteral("-1G")})
            << QStringLiteral("podtap capture: --max-bytes: invalid size '-1G'");
    QTest::addRow("capture --max-bytes overflow")
            << capture({QStringLiteral("--max-bytes"), QStringLiteral("9000P")})
            << QStringLiteral("podtap capture: --max-bytes: invalid size '9000P': more than");
    QTest::addRow("mirror --duration 5x")
            << mirror({QStringLiteral("--duration"), QStringLiteral("5x")})
            << QStringLiteral("podtap mirror: --duration: invalid duration '5x'");
    QTest::addRow("capture --duration 1500ms")
            << capture({QStringLiteral("--duration"), QStringLiteral("1500ms")})
            << QStringLiteral("podtap capture: --duration: invalid duration '1500ms': podtap "
                              "counts this in whole seconds");
    QTest::addRow("capture --max-age garbage")
            << capture({QStringLiteral("--max-age"), QStringLiteral("a while")})
            << QStringLiteral("podtap capture: --max-age: invalid duration 'a while'");
    QTest::addRow("mirror --stall-timeout empty")
            << mirror({QStringLiteral("--stall-timeout"), QString()})
            << QStringLiteral("podtap mirror: --stall-timeout: invalid duration ''");
    QTest::addRow("capture --direct --duration 10X")
            << QStringList{QStringLiteral("capture"),   QStringLiteral("--direct"),
                           QStringLiteral("pod/web"),   QStringLiteral("--port"),
                           QStringLiteral("8080"),      QStringLiteral("-w"),
                           QStringLiteral("/dev/null"), QStringLiteral("--duration"),
                           QStringLiteral("10X")}
            << QStringLiteral("podtap capture: --duration: invalid duration '10X'");
    QTest::addRow("capture --direct --snaplen 64x")
            << QStringList{QStringLiteral("capture"),   QStringLiteral("--direct"),
                           QStringLiteral("pod/web"),   QStringLiteral("--port"),
                           QStringLiteral("8080"),      QStringLiteral("-w"),
                           QStringLiteral("/dev/null"), QStringLiteral("--snaplen"),
                           QStringLiteral("64x")}
            << QStringLiteral("podtap capture: --snaplen: invalid size '64x'");
    QTest::addRow("retention --quota 10X")
            << QStringList{QStringLiteral("retention"), QStringLiteral("--quota"),
                           QStringLiteral("10X")}
            << QStringLiteral("podtap retention: --quota: invalid size '10X'");
    QTest::addRow("mirror --port 80x")
            << QStringList{QStringLiteral("mirror"), QStringLiteral("deploy/web"),
                           QStringLiteral("--port"), QStringLiteral("80x"),
                           QStringLiteral("--to"),   QStringLiteral("9090")}
            << QStringLiteral("podtap mirror: --port: invalid port '80x': expected a number "
                              "from 1 to 65535");
    QTest::addRow("capture --port 0")
            << QStringList{QStringLiteral("capture"), QStringLiteral("deploy/web"),
                           QStringLiteral("--port"), QStringLiteral("0")}
            << QStringLiteral("podtap capture: --port: invalid port '0'");
    QTest::addRow("capture --direct --port 70000")
            << QStringList{QStringLiteral("capture"),  QStringLiteral("--direct"),
                           QStringLiteral("pod/web"),  QStringLiteral("--port"),
                           QStringLiteral("70000"),    QStringLiteral("-w"),
                           QStringLiteral("/dev/null")}
            << QStringLiteral("podtap capture: --port: invalid port '70000'");
    QTest::addRow("mirror --proto-descriptor missing")
            << mirror({QStringLiteral("--compare"), QStringLiteral("--proto-descriptor"),
                       QStringLiteral("/nonexistent/set.pb")})
            << QStringLiteral("podtap mirror: --proto-descriptor: cannot read the descriptor set "
                              "/nonexistent/set.pb");
    QTest::addRow("replay --proto-descriptor a .proto source")
            << replay({QStringLiteral("--proto-descriptor"), QStringLiteral("a.proto")})
            << QStringLiteral("a.proto: the bytes are not protobuf wire format: not a "
                              "FileDescriptorSet (make one with protoc --descriptor_set_out");
    QTest::addRow("preflight --port web")
            << QStringList{QStringLiteral("preflight"), QStringLiteral("pod/web"),
                           QStringLiteral("--port"), QStringLiteral("web")}
            << QStringLiteral("podtap preflight: --port: invalid port 'web'");
}

void TestUnitFlags::refused()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Run r = podtap(args);
    QVERIFY2(r.code == 1,
             qPrintable(QStringLiteral("exit %1: %2").arg(r.code).arg(QString::fromUtf8(r.err))));
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
}

void TestUnitFlags::accepted_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addRow("mirror with units") << mirror(
            {QStringLiteral("--max-bytes"), QStringLiteral("512M"), QStringLiteral("--max-age"),
             QStringLiteral("10m"), QStringLiteral("--duration"), QStringLiteral("1h30m")});
    QTest::addRow("capture with bare numbers")
            << capture({QStringLiteral("--max-bytes"), QStringLiteral("1048576"),
                        QStringLiteral("--duration"), QStringLiteral("5")});
    QTest::addRow("mirror --proto-descriptor")
            << mirror({QStringLiteral("--compare"), QStringLiteral("--proto-descriptor"),
                       QStringLiteral("set.pb")});
    QTest::addRow("replay --proto-descriptor")
            << replay({QStringLiteral("--proto-descriptor"), QStringLiteral("set.pb")});
    QTest::addRow("retention with units") << QStringList{
            QStringLiteral("retention"), QStringLiteral("--quota"), QStringLiteral("10GiB"),
            QStringLiteral("--max-age"), QStringLiteral("1d12h")};
}

void TestUnitFlags::accepted()
{
    // Past the parsing, these reach the daemon connection and find none running (exit 2, not
    // the usage error's 1).
    QFETCH(QStringList, args);
    const Run r = podtap(args);
    QVERIFY2(r.code == 2,
             qPrintable(QStringLiteral("exit %1: %2").arg(r.code).arg(QString::fromUtf8(r.err))));
    QVERIFY2(!r.err.contains("invalid "), r.err.constData());
    QVERIFY2(r.err.contains("podtapd is not running"), r.err.constData());
}

QTEST_GUILESS_MAIN(TestUnitFlags)
#include "tst_unitflags.moc"
