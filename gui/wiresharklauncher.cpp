#include "wiresharklauncher.h"

#include "daemonclient.h"
#include "daemonlink.h"
#include "settings.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

namespace podtap {

WiresharkLauncher::WiresharkLauncher(DaemonLink *link, QObject *parent)
    : QObject(parent)
    , m_link(link)
{}

WiresharkLauncher::~WiresharkLauncher() = default;

bool WiresharkLauncher::isAvailable()
{
    return !Settings::wiresharkProgram().isEmpty();
}

QString WiresharkLauncher::unavailableReason()
{
    return QStringLiteral("Wireshark is not installed: install it (apt install wireshark) or "
                          "name its program in Settings, then restart podtap-gui");
}

void WiresharkLauncher::open(const QString &sessionId, const QList<qint64> &connections)
{
    const QString program = Settings::wiresharkProgram();
    if (program.isEmpty()) {
        Q_EMIT failed(unavailableReason());
        return;
    }
    if (!m_dir) {
        m_dir = std::make_unique<QTemporaryDir>(
                QDir::temp().filePath(QStringLiteral("podtap-wireshark-XXXXXX")));
        if (!m_dir->isValid()) {
            const QString why = m_dir->errorString();
            m_dir.reset();
            Q_EMIT failed(QStringLiteral("cannot create a private temp folder: ") + why);
            return;
        }
        // QTemporaryDir makes it 0700 already; say so where it matters.
        QFile::setPermissions(m_dir->path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                                     | QFileDevice::ExeOwner);
    }
    const QString path
            = m_dir->filePath(QStringLiteral("session-%1-%2.pcapng").arg(sessionId).arg(++m_next));
    QJsonObject params{{QStringLiteral("id"), sessionId},
                       {QStringLiteral("path"), path},
                       {QStringLiteral("format"), QStringLiteral("pcapng")}};
    if (!connections.isEmpty()) {
        QJsonArray ids;
        for (const qint64 c : connections)
            ids.append(c);
        params[QLatin1String("connections")] = ids;
    }
    DaemonClient(m_link).sessionExport(
            params, this, [this, path, program](const DaemonClient::JsonAnswer &r) {
                if (!r.ok()) {
                    Q_EMIT failed(QStringLiteral("export for Wireshark failed: ")
                                  + r.error.message);
                    return;
                }
                QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
                qint64 pid = 0;
                if (!QProcess::startDetached(program, {path}, QString(), &pid)) {
                    Q_EMIT failed(QStringLiteral("could not start %1").arg(program));
                    return;
                }
                Q_EMIT launched(program, path, pid);
            });
}

QString WiresharkLauncher::installedExtcap()
{
    const QString env = qEnvironmentVariable("PODTAP_WIRESHARK_EXTCAP");
    if (!env.isEmpty())
        return QFileInfo(env).isExecutable() ? env : QString();
    QStringList candidates{QStringLiteral(PODTAP_WIRESHARK_EXTCAP_PATH)};
    for (const QString &lib : {QStringLiteral("/usr/lib"), QStringLiteral("/usr/local/lib")}) {
        candidates << lib + QStringLiteral("/wireshark/extcap/podtap-extcap");
        for (const QString &arch : QDir(lib).entryList({QStringLiteral("*-linux-gnu*")},
                                                       QDir::Dirs | QDir::NoDotAndDotDot))
            candidates << lib + QLatin1Char('/') + arch
                                  + QStringLiteral("/wireshark/extcap/podtap-extcap");
    }
    for (const QString &c : std::as_const(candidates))
        if (QFileInfo(c).isExecutable())
            return c;
    return {};
}

void WiresharkLauncher::openLive(const QString &sessionId)
{
    const QString program = Settings::wiresharkProgram();
    if (program.isEmpty()) {
        Q_EMIT failed(unavailableReason());
        return;
    }
    if (installedExtcap().isEmpty()) {
        Q_EMIT failed(QStringLiteral("podtap-extcap is not in Wireshark's extcap folder (%1), so "
                                     "Wireshark cannot capture from podtap: install the podtap "
                                     "package, or copy podtap-extcap there")
                              .arg(QStringLiteral(PODTAP_WIRESHARK_EXTCAP_PATH)));
        return;
    }
    // Wireshark passes our environment on to the extcap, so it finds this podtapd
    // ($PODTAP_SOCKET, $XDG_RUNTIME_DIR).
    const QStringList args{QStringLiteral("-k"), QStringLiteral("-i"), QStringLiteral("podtap"),
                           QStringLiteral("-o"),
                           QStringLiteral("extcap.podtap.session:") + sessionId};
    qint64 pid = 0;
    if (!QProcess::startDetached(program, args, QString(), &pid)) {
        Q_EMIT failed(QStringLiteral("could not start %1").arg(program));
        return;
    }
    Q_EMIT launched(program, QStringLiteral("session %1 (live)").arg(sessionId), pid);
}

} // namespace podtap
