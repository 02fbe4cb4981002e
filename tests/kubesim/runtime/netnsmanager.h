#pragma once

#include <QSet>
#include <QString>
#include <QStringList>

#include <optional>

namespace kubesim {

// Creates and removes kubesim's network namespaces. Layout of one run (prefix "ksim<pid>-"):
//   <prefix>node   a bridge br0 (198.18.0.1/15, fd00:5e:18::1/64); nothing lives in the host's
//                  root namespace, so deleting the namespaces removes every interface
//   <prefix>p<n>   pod n: lo up, eth0 = 198.18.x.y/15 + fd00:5e:18::1:n/64 (nodad), peer vp<n> on
//   br0 <prefix>c<n>   the client namespace of pod n (traffic generator), 198.19.x.y/15 + ::2:n
// A state file <stateDir>/ksim-<pid>.json lists them so a later run can clean up after kill -9.
class NetnsManager
{
public:
    struct PodNetwork
    {
        int index = 0;
        QString podNs, clientNs;
        QString podIp, podIpv6, clientIp, clientIpv6;
    };

    explicit NetnsManager(const QString &stateDir);

    static bool checkRoot(QString *error);
    static QString netnsPath(const QString &name);

    QString prefix() const { return m_prefix; }
    bool cleanStale(QString *error);
    std::optional<PodNetwork> createPod(QString *error);
    // Kills every process left in our namespaces, deletes them and the state file.
    void teardown();

    // A socket created inside namespace `ns` (the calling thread switches there and back).
    static int openSocketIn(const QString &ns, int domain, int type, QString *error);
    static bool runIp(const QStringList &args, const QByteArray &batch, QString *error);
    static QStringList listNamespaces();

private:
    bool ensureNode(QString *error);
    void writeState() const;
    static void killAndDelete(const QString &ns);

    QString m_stateDir;
    QString m_prefix;
    QString m_nodeNs;
    QStringList m_created;
    int m_nextIndex = 1;
};

} // namespace kubesim
