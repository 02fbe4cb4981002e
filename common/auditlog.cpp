#include "auditlog.h"
#include "commonlog.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace podtap {

AuditLog::AuditLog(const QString &path)
    : m_path(path)
{}

QString AuditLog::defaultPath()
{
    QString base = qEnvironmentVariable("XDG_STATE_HOME");
    if (base.isEmpty() || !QDir::isAbsolutePath(base))
        base = QDir::homePath() + QStringLiteral("/.local/state");
    return base + QStringLiteral("/podtap/audit.log");
}

const QStringList &AuditLog::fields()
{
    static const QStringList f{
            QStringLiteral("time"),      QStringLiteral("event"),     QStringLiteral("session"),
            QStringLiteral("context"),   QStringLiteral("namespace"), QStringLiteral("target"),
            QStringLiteral("pod"),       QStringLiteral("tap"),       QStringLiteral("image"),
            QStringLiteral("profile"),   QStringLiteral("port"),      QStringLiteral("mirror"),
            QStringLiteral("protected"), QStringLiteral("confirmed"), QStringLiteral("outcome")};
    return f;
}

bool AuditLog::append(const QString &event, const QJsonObject &entry)
{
    QJsonObject line;
    line[QLatin1String("time")] = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    line[QLatin1String("event")] = event;
    for (const QString &key : fields())
        if (key != QLatin1String("time") && key != QLatin1String("event") && entry.contains(key))
            line[key] = entry.value(key);
    // One line per entry: outcomes from the cluster may span lines; keep the first.
    const QString outcome = line.value(QLatin1String("outcome")).toString();
    if (outcome.contains(QLatin1Char('\n')))
        line[QLatin1String("outcome")] = outcome.section(QLatin1Char('\n'), 0, 0);
    const QByteArray bytes = QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n';

    auto warn = [this](const QString &why) {
        if (why != m_lastError)
            qCWarning(lcAudit, "cannot append to the audit log %s: %s (sessions go on)",
                      qPrintable(m_path), qPrintable(why));
        m_lastError = why;
        return false;
    };
    const QString dir = QFileInfo(m_path).absolutePath();
    if (!QDir().mkpath(dir))
        return warn(QStringLiteral("cannot create %1").arg(dir));
    ::chmod(QFile::encodeName(dir).constData(), 0700);
    // O_APPEND: whole lines even if two daemons ever shared the file; 0600 whatever the umask.
    const int fd = ::open(QFile::encodeName(m_path).constData(),
                          O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return warn(QString::fromLocal8Bit(std::strerror(errno)));
    ::fchmod(fd, 0600);
    const ssize_t written = ::write(fd, bytes.constData(), std::size_t(bytes.size()));
    const int writeErrno = errno;
    ::close(fd);
    if (written != bytes.size())
        return warn(written < 0 ? QString::fromLocal8Bit(std::strerror(writeErrno))
                                : QStringLiteral("short write"));
    m_lastError.clear();
    return true;
}

} // namespace podtap
