#pragma once

#include "execcredentialplugin.h"
#include "kubeconfig.h"
#include "result.h"

#include <QList>
#include <QPair>
#include <QSslConfiguration>
#include <QUrl>

namespace podtap {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// Everything needed to talk to one cluster as one user: the resolved kubeconfig context
// with client-go's validation rules applied, TLS settings and the auth headers.
class ClusterAccess
{
public:
    enum class AuthKind { None, ClientCertificate, Token, TokenFile, Basic, ExecPlugin };

    // `contextName` empty: the current context.
    static Result<ClusterAccess> fromKubeconfig(const Kubeconfig &config,
                                                const QString &contextName = {});

    const QString &contextName() const { return m_context.name; }
    // The context's namespace, or "default".
    QString defaultNamespace() const;
    const QUrl &server() const { return m_server; }
    const KubeCluster &cluster() const { return m_cluster; }
    const KubeUser &user() const { return m_user; }
    AuthKind authKind() const { return m_authKind; }
    static const char *authKindName(AuthKind kind);
    // e.g. TLS verification disabled by the kubeconfig: shown to the user.
    const QStringList &warnings() const { return m_warnings; }

    // True when requests need the exec plugin's credential (exec auth over https: client-go
    // sends no credentials to plain http).
    bool needsExecCredential() const;
    // TLS for this cluster: CA, client certificate (from the kubeconfig or `execCredential`,
    // what the exec plugin returned when needsExecCredential()), verification mode.
    Result<QSslConfiguration> tlsConfiguration(const ExecCredential *execCredential) const;
    // Authorization and Impersonate-* headers; re-reads tokenFile each call.
    Result<HeaderList> authHeaders(const ExecCredential *execCredential) const;

private:
    KubeContext m_context;
    KubeCluster m_cluster;
    KubeUser m_user;
    QUrl m_server;
    AuthKind m_authKind = AuthKind::None;
    QStringList m_warnings;
};

} // namespace podtap
