#pragma once

#include <QString>
#include <QStringList>

// Two network namespaces joined by a veth pair, created for one test process and removed in
// the destructor (and, for namespaces left by a crashed run, by removeStale()).
//   server namespace: veth <serverVeth()>, 198.18.0.1/24, fd00:18::1/64
//   client namespace: veth <clientVeth()>, 198.18.0.2/24, fd00:18::2/64
class NetnsLab
{
public:
    explicit NetnsLab(const QString &tag);
    ~NetnsLab();
    NetnsLab(const NetnsLab &) = delete;
    NetnsLab &operator=(const NetnsLab &) = delete;

    bool setUp(QString *error);
    void tearDown();

    QString serverNs() const { return m_serverNs; }
    QString clientNs() const { return m_clientNs; }
    QString serverVeth() const { return m_serverVeth; }
    QString clientVeth() const { return m_clientVeth; }
    static QString serverV4() { return QStringLiteral("198.18.0.1"); }
    static QString clientV4() { return QStringLiteral("198.18.0.2"); }
    static QString serverV6() { return QStringLiteral("fd00:18::1"); }
    static QString clientV6() { return QStringLiteral("fd00:18::2"); }

    // Arguments for QProcess("ip", ...) that run program inside namespace ns.
    static QStringList execArgs(const QString &ns, const QString &program, const QStringList &args);
    // Runs a command to completion (bounded); false with stderr in *error on failure.
    static bool run(const QStringList &command, QString *error, int timeoutMs = 20000);
    // Waits until something listens on TCP `port` in namespace `ns` (ss), so a client never
    // races a server that has only been started.
    static bool waitListening(const QString &ns, int port, QString *error, int timeoutMs = 10000);
    // Deletes namespaces named "ptc<pid>…" whose test process no longer exists.
    static void removeStale();

private:
    QString m_serverNs;
    QString m_clientNs;
    QString m_serverVeth;
    QString m_clientVeth;
    bool m_created = false;
};
