#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace kubesim {

struct KubeconfigUser
{
    QString name;
    QByteArray clientCertPem, clientKeyPem; // client-cert users
    QString token;                          // token users
    QString username, password;             // basic users
    QString execApiVersion;                 // exec users: client.authentication.k8s.io/v1[beta1]
    QString execCommand;
    QStringList execArgs;
};

// Writes a kubeconfig (one cluster "kubesim", one context per user, named like the user).
class KubeconfigWriter
{
public:
    static QByteArray render(const QString &server, const QByteArray &caPem,
                             const QList<KubeconfigUser> &users, const QString &currentContext,
                             const QString &defaultNamespace);
    static bool write(const QString &path, const QByteArray &content, QString *error);
};

} // namespace kubesim
