#pragma once

#include "result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QPair>
#include <QString>
#include <QStringList>

#include <optional>

namespace podtap {

// users[].user.exec of a kubeconfig (client.authentication.k8s.io v1 / v1beta1).
struct ExecPluginConfig
{
    QString command;
    QStringList args;
    QList<QPair<QString, QString>> env;
    QString apiVersion;
    QString installHint;
    bool provideClusterInfo = false;
    QString interactiveMode; // Never | IfAvailable | Always
    QString baseDir;         // folder of the kubeconfig that defined it
};

struct KubeCluster
{
    QString name;
    QString server;
    QByteArray certificateAuthorityData; // PEM, from -data or the file
    QString certificateAuthorityFile;    // absolute
    bool insecureSkipTlsVerify = false;
    QString tlsServerName;
    QString proxyUrl;
    QJsonObject execExtension; // extensions[name=client.authentication.k8s.io/exec]
    QString sourceFile;
};

// Credentials live only in memory: nothing here is ever written to disk or logs.
struct KubeUser
{
    QString name;
    QByteArray clientCertificateData;
    QByteArray clientKeyData;
    QString clientCertificateFile;
    QString clientKeyFile;
    QString token;
    QString tokenFile;
    QString username;
    QString password;
    QString impersonate;
    QString impersonateUid;
    QStringList impersonateGroups;
    std::optional<ExecPluginConfig> exec;
    QString authProvider; // deprecated auth-provider name, unsupported
    QString sourceFile;
};

struct KubeContext
{
    QString name;
    QString cluster;
    QString user;
    QString ns; // empty when the context sets none
};

// A merged view of one or more kubeconfig files, following client-go's loader rules:
// the first file that defines a name wins (whole entry), the first non-empty
// current-context wins, relative paths resolve against the defining file's folder.
class Kubeconfig
{
public:
    // KUBECONFIG (':'-separated, de-duplicated, missing files skipped) or ~/.kube/config.
    static Result<Kubeconfig> loadDefault();
    // `explicitFile`: one file that must exist (like --kubeconfig).
    static Result<Kubeconfig> loadFile(const QString &explicitFile);
    static Result<Kubeconfig> loadFiles(const QStringList &files);
    // Parses one document; `path` names it in errors and anchors relative paths.
    static Result<Kubeconfig> parse(const QByteArray &yaml, const QString &path);

    QString currentContext() const { return m_currentContext; }
    const QList<KubeContext> &contexts() const { return m_contexts; }
    std::optional<KubeContext> context(const QString &name) const;
    std::optional<KubeCluster> cluster(const QString &name) const;
    std::optional<KubeUser> user(const QString &name) const;
    const QStringList &files() const { return m_files; }
    const QStringList &warnings() const { return m_warnings; }

private:
    void mergeFrom(const Kubeconfig &later);

    QString m_currentContext;
    QList<KubeContext> m_contexts;
    QMap<QString, KubeCluster> m_clusters;
    QMap<QString, KubeUser> m_users;
    QStringList m_files;
    QStringList m_warnings;
};

} // namespace podtap
