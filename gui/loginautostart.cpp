#include "loginautostart.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

namespace podtap {

QString LoginAutostart::path()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation)
           + QStringLiteral("/autostart/podtap-gui.desktop");
}

bool LoginAutostart::isEnabled()
{
    QFile f(path());
    if (!f.open(QIODevice::ReadOnly))
        return false;
    // A desktop may switch an entry off with Hidden=true rather than delete it.
    return !f.readAll().contains("\nHidden=true");
}

QString LoginAutostart::defaultProgram()
{
    QString self = QFileInfo(QCoreApplication::applicationFilePath()).canonicalFilePath();
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("podtap-gui"));
    if (!onPath.isEmpty() && QFileInfo(onPath).canonicalFilePath() == self)
        return QStringLiteral("podtap-gui");
    return self;
}

QByteArray LoginAutostart::entry(const QString &program)
{
    // Exec quoting (Desktop Entry spec): a path with spaces or quotes goes in double quotes.
    QString exec = program;
    if (exec.contains(QLatin1Char(' ')) || exec.contains(QLatin1Char('"'))) {
        exec.replace(QLatin1Char('\\'), QStringLiteral("\\\\\\\\"));
        exec.replace(QLatin1Char('"'), QStringLiteral("\\\\\""));
        exec = QLatin1Char('"') + exec + QLatin1Char('"');
    }
    return QByteArrayLiteral("[Desktop Entry]\n"
                             "Type=Application\n"
                             "Name=podtap\n"
                             "Comment=podtap in the system tray: sessions and quick mirror\n"
                             "Exec=")
           + exec.toUtf8()
           + QByteArrayLiteral(" --minimized\n"
                               "Icon=podtap\n"
                               "Terminal=false\n"
                               "X-GNOME-Autostart-enabled=true\n");
}

bool LoginAutostart::setEnabled(bool enabled, const QString &program, QString *error)
{
    const QString file = path();
    if (!enabled) {
        if (QFile::exists(file) && !QFile::remove(file)) {
            if (error)
                *error = QStringLiteral("cannot remove %1").arg(file);
            return false;
        }
        return true;
    }
    if (!QDir().mkpath(QFileInfo(file).path())) {
        if (error)
            *error = QStringLiteral("cannot create %1").arg(QFileInfo(file).path());
        return false;
    }
    QSaveFile f(file);
    if (!f.open(QIODevice::WriteOnly) || f.write(entry(program)) < 0 || !f.commit()) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(file, f.errorString());
        return false;
    }
    return true;
}

} // namespace podtap
