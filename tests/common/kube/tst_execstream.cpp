// ExecStream against kubesim's exec (root: kubesim's pods are network namespaces).

#include "kube/clusteraccess.h"
#include "kube/credentialcache.h"
#include "kube/execstream.h"
#include "kube/kubeapiclient.h"
#include "kube/kubeconfig.h"

#include <QCryptographicHash>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <memory>
#include <unistd.h>

using namespace podtap;

class TstExecStream : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void slowConsumerGetsTheWholeOutput();
    void stdoutBeforeStderrAndEnd();

private:
    QTemporaryDir m_dir;
    QProcess m_kubesim;
    CredentialCache m_credentials;
    std::unique_ptr<KubeApiClient> m_api;
};

void TstExecStream::initTestCase()
{
    if (geteuid() != 0)
        QSKIP("needs root (kubesim's pods are network namespaces)");
    QVERIFY(m_dir.isValid());
    const QString kubeconfig = m_dir.filePath(QStringLiteral("kubeconfig"));
    m_kubesim.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_kubesim.start(QStringLiteral(KUBESIM_BIN),
                    {QStringLiteral("--scenario"),
                     QStringLiteral(SRCDIR "/scenarios/execstream.yaml"),
                     QStringLiteral("--kubeconfig-out"), kubeconfig, QStringLiteral("--port"),
                     QStringLiteral("0"), QStringLiteral("--state-dir"), m_dir.path(),
                     QStringLiteral("--require-runtime")});
    QByteArray out;
    for (int i = 0; i < 100 && !out.contains("kubesim ready"); ++i) {
        m_kubesim.waitForReadyRead(200);
        out += m_kubesim.readAllStandardOutput();
    }
    QVERIFY2(out.contains("kubesim ready"), out.constData());
    const auto config = Kubeconfig::loadFile(kubeconfig);
    QVERIFY2(config.ok(), qPrintable(config.error()));
    const auto access = ClusterAccess::fromKubeconfig(config.value());
    QVERIFY2(access.ok(), qPrintable(access.error()));
    m_api = std::make_unique<KubeApiClient>(access.value(), &m_credentials);
}

void TstExecStream::cleanupTestCase()
{
    m_api.reset();
    if (m_kubesim.state() != QProcess::NotRunning) {
        m_kubesim.terminate();
        if (!m_kubesim.waitForFinished(10000))
            m_kubesim.kill();
    }
}

// A consumer far behind the server when the command ends: the server sends the status and
// closes (kubesim after 0.5 s without our Close, the apiserver at once). A ping sent then
// made the server's kernel answer with RST, and ours dropped the unread tail (megabytes).

void TstExecStream::slowConsumerGetsTheWholeOutput()
{
    QByteArray data(12 * 1024 * 1024, Qt::Uninitialized);
    quint32 x = 2463534242u;
    for (char &c : data) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = char(x);
    }
    const QString path = m_dir.filePath(QStringLiteral("data.bin"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(data), qint64(data.size()));
    f.close();

    ExecStream exec(m_api.get());
    exec.setPingInterval(50);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    qint64 received = 0;
    bool done = false;
    ExecStream::Outcome outcome;
    connect(&exec, &ExecStream::stdoutData, this, [&](const QByteArray &b) {
        hash.addData(b);
        received += b.size();
        // ~4 MB/s whatever the chunk size (stdout comes once per socket read): the server
        // finishes seconds before we do.
        QThread::usleep(ulong(b.size() / 4));
    });
    connect(&exec, &ExecStream::finished, this, [&](const ExecStream::Outcome &o) {
        outcome = o;
        done = true;
    });
    exec.start(QStringLiteral("bench"), QStringLiteral("web"), QStringLiteral("app"),
               {QStringLiteral("cat"), path});
    QTRY_VERIFY_WITH_TIMEOUT(done, 60000);
    QVERIFY2(outcome.success, qPrintable(outcome.message));
    QCOMPARE(received, qint64(data.size()));
    QCOMPARE(hash.result(), QCryptographicHash::hash(data, QCryptographicHash::Sha256));
}

// stdout is gathered per socket read: many small writes must still arrive whole and in
// order, and a stderr line (tcpdump's final counts) or the end must never overtake stdout
// written before it.
void TstExecStream::stdoutBeforeStderrAndEnd()
{
    ExecStream exec(m_api.get());
    QByteArray out;
    int chunks = 0;
    qint64 atStderr = -1, atEnd = -1;
    bool done = false;
    ExecStream::Outcome outcome;
    connect(&exec, &ExecStream::stdoutData, this, [&](const QByteArray &b) {
        out += b;
        ++chunks;
    });
    connect(&exec, &ExecStream::stderrLine, this, [&](const QString &line) {
        if (line == QLatin1String("end"))
            atStderr = out.size();
    });
    connect(&exec, &ExecStream::finished, this, [&](const ExecStream::Outcome &o) {
        outcome = o;
        atEnd = out.size();
        done = true;
    });
    // 3,000 writes of 6 bytes (printf is a shell builtin: one write each), then stderr. The
    // pause lets kubesim relay the stdout pipe first (it reads its pipes independently).
    exec.start(QStringLiteral("bench"), QStringLiteral("web"), QStringLiteral("app"),
               {QStringLiteral("sh"), QStringLiteral("-c"),
                QStringLiteral("i=1000; while [ $i -lt 4000 ]; do printf 'l%d\\n' $i; "
                               "i=$((i+1)); done; sleep 0.3; echo end >&2; printf tail")});
    QTRY_VERIFY_WITH_TIMEOUT(done, 60000);
    QVERIFY2(outcome.success, qPrintable(outcome.message));
    QByteArray expected;
    for (int i = 1000; i < 4000; ++i)
        expected += 'l' + QByteArray::number(i) + '\n';
    // Every line written before "end" was delivered before it ("tail" may be too: kubesim reads
    // its two pipes independently).
    QVERIFY2(atStderr >= qint64(expected.size()), qPrintable(QString::number(atStderr)));
    expected += "tail";
    QCOMPARE(out, expected);
    QCOMPARE(atEnd, qint64(expected.size()));
    QCOMPARE(exec.stdoutBytes(), qint64(expected.size()));
    qInfo("%d stdout chunks for 3,001 writes", chunks);
    QVERIFY(chunks > 0);
}

QTEST_GUILESS_MAIN(TstExecStream)
#include "tst_execstream.moc"
