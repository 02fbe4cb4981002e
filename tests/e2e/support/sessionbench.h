#pragma once

#include "clirunner.h"
#include "kubesimprocess.h"
#include "podtapdprocess.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <functional>

class QProcess;

// The bench of the tests that drive podtapd's sessions through the real CLI: a folder of
// their own (kept when a case failed), kubesim, podtapd on a private socket and store, every
// `podtap` run logged in cli.log, trafficgen servers and clients that a case's end stops.
class SessionBench
{
public:
    using Run = CliRunner::Result;

    SessionBench() = default;
    ~SessionBench();
    SessionBench(const SessionBench &) = delete;
    SessionBench &operator=(const SessionBench &) = delete;

    // Why this machine cannot run the bench (not root, a program not built); empty if it can.
    static QString skipReason();
    // Prepares the folder and starts kubesim on `scenario`; false and `error` otherwise.
    bool start(const QString &scenario, QString *error);
    // Starts podtapd and waits until it answers the CLI (`podtap sessions --no-start`).
    bool startDaemon(QString *error);
    // A variable every process started here sees on top of podtapd's environment.
    void setEnvironment(const QString &name, const QString &value);
    QProcessEnvironment environment() const;

    QTemporaryDir &dir() { return m_dir; }
    QString filePath(const QString &name) const { return m_dir.filePath(name); }
    KubesimProcess &kubesim() { return m_kubesim; }
    PodtapdProcess &podtapd() { return m_podtapd; }
    QList<QProcess *> &children() { return m_children; }

    // Appends `content` to the file `name` in the folder.
    void keep(const QString &name, const QByteArray &content);
    Run tool(const QString &program, const QStringList &args, int timeoutMs = 120000);
    // `podtap ARGS`, its stderr kept in cli.log.
    Run podtap(const QStringList &args, int timeoutMs = 60000);
    // name → IP of the pods in `ns`, as `podtap pods` lists them; `error` when it failed.
    QMap<QString, QString> podIps(const QString &ns, QString *error);
    // `podtap sessions --json --no-start`; empty when it failed.
    QJsonObject sessionList();
    QJsonObject liveSummary(const QString &id);
    // Polls liveSummary(id) every 250 ms until `done(summary, quietMs)` is true or
    // `timeoutMs` passed; quietMs: how long the summary's `watched` object ("mirror",
    // "compare") has not changed. The last summary; *settled says whether `done` ended it.
    QJsonObject waitSummary(const QString &id, const char *watched, int timeoutMs,
                            const std::function<bool(const QJsonObject &, qint64)> &done,
                            bool *settled = nullptr);

    // A trafficgen server on 127.0.0.1 (stderr in NAME.stderr): its port in `port`, 0 if none.
    QProcess *startServer(const QString &name, const QStringList &args, quint16 *port);
    // A trafficgen client in kubesim's network namespace `slot`.
    QProcess *startClient(const QString &slot, const QStringList &args);
    // Waits for a client, keeps its output in NAME.out; false and why when it failed.
    bool finishClient(QProcess *client, const QString &name, int timeoutMs, QString *why);

    // A case's end: stops the sessions still running and the children; after a failure keeps
    // the folder (`what` names the files worth a look) and prints podtapd.log's tail.
    void cleanupCase(const char *what);
    void stop();

private:
    QTemporaryDir m_dir;
    KubesimProcess m_kubesim;
    PodtapdProcess m_podtapd;
    QProcessEnvironment m_extra;
    QList<QProcess *> m_children;
};
