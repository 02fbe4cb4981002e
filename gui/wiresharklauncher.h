#pragma once

#include <QList>
#include <QObject>
#include <QString>

#include <memory>

class QTemporaryDir;

namespace podtap {

class DaemonLink;

// "Open in Wireshark": podtapd exports the session (or some connections) to a pcapng in a
// private temp folder (0700, the file 0600: it holds captured traffic), then Wireshark is
// started detached on it. The program is Settings::wiresharkProgram(). The files live until
// the launcher goes (app exit): Wireshark has read them by then or keeps them open.
class WiresharkLauncher : public QObject
{
    Q_OBJECT

public:
    explicit WiresharkLauncher(DaemonLink *link, QObject *parent = nullptr);
    ~WiresharkLauncher() override;

    static bool isAvailable();
    static QString unavailableReason();

    void open(const QString &sessionId, const QList<qint64> &connections = {});
    // "Open live in Wireshark": Wireshark on podtap-extcap's interface, joined to the running
    // session (`-k -i podtap -o extcap.podtap.session:ID`); the session goes on when
    // Wireshark stops. Needs podtap-extcap in Wireshark's extcap folder (the package puts it
    // there).
    void openLive(const QString &sessionId);
    // Where podtap-extcap is installed for Wireshark ($PODTAP_WIRESHARK_EXTCAP, else the
    // global extcap folders of Debian's and a /usr/local Wireshark); empty when nowhere.
    static QString installedExtcap();

Q_SIGNALS:
    void launched(const QString &program, const QString &file, qint64 pid);
    void failed(const QString &message);

private:
    DaemonLink *m_link;
    std::unique_ptr<QTemporaryDir> m_dir;
    int m_next = 0;
};

} // namespace podtap
