#pragma once

#include "daemonprocess.h"
#include "ipc/ipcclient.h"

#include "../e2e/support/kubesimprocess.h"

#include <QJsonObject>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace podtap {
class DaemonLink;
}

// What the GUI tests against a real capture share: a folder of their own (kept when a case
// failed), kubesim on a scenario, and podtapd on DIR/run/podtapd.sock with its store and log
// in DIR; XDG_STATE_HOME is DIR/state.
class LiveDaemonFixture
{
public:
    LiveDaemonFixture() = default;
    ~LiveDaemonFixture();
    LiveDaemonFixture(const LiveDaemonFixture &) = delete;
    LiveDaemonFixture &operator=(const LiveDaemonFixture &) = delete;

    // Why this machine cannot run such a test (not root, a program not built); empty if it can.
    static QString skipReason();
    // Creates DIR/run (0700), starts kubesim on `scenario`, then podtapd and waits until it
    // answers; false and `error` otherwise.
    bool start(const QString &scenario, QString *error);
    // A link to this podtapd, not started; it never starts a daemon of its own.
    std::unique_ptr<podtap::DaemonLink> makeLink() const;
    // `method` through `link`, waited for (30 s at the most).
    static podtap::IpcClient::Reply call(podtap::DaemonLink *link, const QString &method,
                                         const QJsonObject &params);

    // From each case's cleanup(): remembers a failure for finish().
    void noteFailure();
    // Stops podtapd and kubesim; after a failure keeps the folder and prints podtapd.log's tail.
    void finish();

    QTemporaryDir &dir() { return m_dir; }
    QString filePath(const QString &name) const { return m_dir.filePath(name); }
    KubesimProcess &kubesim() { return m_kubesim; }
    DaemonProcess *daemon() const { return m_daemon.get(); }
    QString socketPath() const { return m_dir.filePath(QStringLiteral("run/podtapd.sock")); }

private:
    QTemporaryDir m_dir;
    KubesimProcess m_kubesim;
    std::unique_ptr<DaemonProcess> m_daemon;
    bool m_failed = false;
};
