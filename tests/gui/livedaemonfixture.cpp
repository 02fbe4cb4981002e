#include "livedaemonfixture.h"

#include "daemonlink.h"

#include <QDir>
#include <QFile>
#include <QObject>
#include <QTest>

LiveDaemonFixture::~LiveDaemonFixture()
{
    finish();
}

QString LiveDaemonFixture::skipReason()
{
    return KubesimProcess::skipReason({DaemonProcess::program()});
}

bool LiveDaemonFixture::start(const QString &scenario, QString *error)
{
    if (!m_dir.isValid()) {
        *error = QStringLiteral("no temporary folder: ") + m_dir.errorString();
        return false;
    }
    const QString run = m_dir.filePath(QStringLiteral("run"));
    if (!QDir().mkpath(run)) {
        *error = QStringLiteral("cannot create ") + run;
        return false;
    }
    QFile::setPermissions(run,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    qputenv("XDG_STATE_HOME", m_dir.filePath(QStringLiteral("state")).toLocal8Bit());
    if (!m_kubesim.start(scenario, m_dir.path(), error))
        return false;
    m_daemon
            = std::make_unique<DaemonProcess>(socketPath(), m_dir.filePath(QStringLiteral("store")),
                                              m_dir.filePath(QStringLiteral("podtapd.log")));
    return m_daemon->start(error);
}

std::unique_ptr<podtap::DaemonLink> LiveDaemonFixture::makeLink() const
{
    podtap::DaemonLink::Options o;
    o.socketPath = socketPath();
    o.startDaemon = false;
    return std::make_unique<podtap::DaemonLink>(o);
}

podtap::IpcClient::Reply LiveDaemonFixture::call(podtap::DaemonLink *link, const QString &method,
                                                 const QJsonObject &params)
{
    podtap::IpcClient::Reply reply;
    bool done = false;
    QObject context;
    link->request(method, params, &context, [&](const podtap::IpcClient::Reply &r) {
        reply = r;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, 30000))
        reply.errorMessage = QStringLiteral("no answer to ") + method;
    return reply;
}

void LiveDaemonFixture::noteFailure()
{
    m_failed = m_failed || QTest::currentTestFailed();
}

void LiveDaemonFixture::finish()
{
    m_daemon.reset();
    m_kubesim.stop();
    if (m_failed && m_dir.autoRemove()) {
        m_dir.setAutoRemove(false);
        qWarning("kept the test's files (podtapd.log, records) in %s", qPrintable(m_dir.path()));
        // CI keeps only what the test printed: the daemon's last words go there too.
        QFile log(m_dir.filePath(QStringLiteral("podtapd.log")));
        if (log.open(QIODevice::ReadOnly))
            qWarning("podtapd.log (last 4 KiB):\n%s", log.readAll().right(4096).constData());
    }
}
