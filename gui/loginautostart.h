#pragma once

#include <QString>

namespace podtap {

// "Start in the tray at login": the user's own XDG autostart entry
// ($XDG_CONFIG_HOME/autostart/podtap-gui.desktop), written and removed on request. Per user
// and off by default: the package installs nothing that starts for everyone.
class LoginAutostart
{
public:
    static QString path();
    static bool isEnabled();
    // The command the entry runs: "podtap-gui" when that is what PATH finds, else the running
    // program's absolute path (a build tree).
    static QString defaultProgram();
    // Writes the entry (Exec=PROGRAM --minimized) or removes it; false with `error` set when
    // the file cannot be written or removed.
    static bool setEnabled(bool enabled, const QString &program, QString *error);
    static QByteArray entry(const QString &program);
};

} // namespace podtap
