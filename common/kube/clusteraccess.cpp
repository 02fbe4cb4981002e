#include "clusteraccess.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>

namespace podtap {

namespace {

Result<QByteArray> readFile(const QString &path, const QString &what)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Result<QByteArray>::failure(
                QStringLiteral("cannot read %1 %2: %3").arg(what, path, f.errorString()));
    return f.readAll();
}

// RSA, EC, PKCS#1 or PKCS#8 PEM keys.
QSslKey parseKey(const QByteArray &pem)
{
    for (QSsl::KeyAlgorithm alg : {QSsl::Rsa, QSsl::Ec}) {
        QSslKey k(pem, alg, QSsl::Pem, QSsl::PrivateKey);
        if (!k.isNull())
            return k;
    }
    return {};
}

} // namespace

const char *ClusterAccess::authKindName(AuthKind kind)
{
    switch (kind) {
    case AuthKind::None:
        return "none";
    case AuthKind::ClientCertificate:
        return "client-certificate";
    case AuthKind::Token:
        return "token";
    case AuthKind::TokenFile:
        return "token-file";
    case AuthKind::Basic:
        return "basic";
    case AuthKind::ExecPlugin:
        return "exec-plugin";
    }
    return "unknown";
}

QString ClusterAccess::defaultNamespace() const
{
    return m_context.ns.isEmpty() ? QStringLiteral("default") : m_context.ns;
}

Result<ClusterAccess> ClusterAccess::fromKubeconfig(const Kubeconfig &config,
                                                    const QString &contextName)
{
    using R = Result<ClusterAccess>;
    const QString name = contextName.isEmpty() ? config.currentContext() : contextName;
    if (name.isEmpty())
        return R::failure(QStringLiteral("no context selected: the kubeconfig has no "
                                         "current-context; pick one with --context"));
    const auto ctx = config.context(name);
    if (!ctx)
        return R::failure(QStringLiteral("context \"%1\" does not exist in %2")
                                  .arg(name, config.files().join(QStringLiteral(", "))));
    ClusterAccess a;
    a.m_context = *ctx;
    const auto cluster = config.cluster(ctx->cluster);
    if (!cluster)
        return R::failure(
                QStringLiteral("context \"%1\" names cluster \"%2\", which is not defined")
                        .arg(name, ctx->cluster));
    a.m_cluster = *cluster;
    if (!ctx->user.isEmpty()) {
        const auto user = config.user(ctx->user);
        if (!user)
            return R::failure(
                    QStringLiteral("context \"%1\" names user \"%2\", which is not defined")
                            .arg(name, ctx->user));
        a.m_user = *user;
    }
    a.m_server = QUrl(cluster->server);
    if (!a.m_server.isValid() || a.m_server.host().isEmpty()
        || (a.m_server.scheme() != QLatin1String("https")
            && a.m_server.scheme() != QLatin1String("http")))
        return R::failure(QStringLiteral("cluster \"%1\" has no usable server URL ('%2')")
                                  .arg(cluster->name, cluster->server));

    const bool hasCa = !cluster->certificateAuthorityData.isEmpty()
                       || !cluster->certificateAuthorityFile.isEmpty();
    if (cluster->insecureSkipTlsVerify && hasCa)
        return R::failure(QStringLiteral("cluster \"%1\": specifying a root certificates file with "
                                         "the insecure flag is not allowed")
                                  .arg(cluster->name));
    if (cluster->insecureSkipTlsVerify)
        a.m_warnings << QStringLiteral("TLS verification is disabled for cluster \"%1\" "
                                       "(insecure-skip-tls-verify in the "
                                       "kubeconfig): anyone on the network path can read and "
                                       "change this traffic")
                                .arg(cluster->name);

    const KubeUser &u = a.m_user;
    if (!u.authProvider.isEmpty())
        return R::failure(
                QStringLiteral(
                        "user \"%1\" uses the removed auth-provider \"%2\"; podtap supports exec "
                        "credential "
                        "plugins instead (for GKE: gke-gcloud-auth-plugin, for OIDC: kubelogin)")
                        .arg(u.name, u.authProvider));
    const bool hasToken = !u.token.isEmpty() || !u.tokenFile.isEmpty();
    const bool hasBasic = !u.username.isEmpty() || !u.password.isEmpty();
    const bool hasCert = !u.clientCertificateData.isEmpty() || !u.clientCertificateFile.isEmpty();
    const bool hasKey = !u.clientKeyData.isEmpty() || !u.clientKeyFile.isEmpty();
    if (hasToken && hasBasic)
        return R::failure(QStringLiteral("user \"%1\": more than one authentication method found "
                                         "(token and username/password)")
                                  .arg(u.name));
    if (hasCert != hasKey)
        return R::failure(
                QStringLiteral("user \"%1\": a client certificate needs its key and vice versa")
                        .arg(u.name));
    if (!u.token.isEmpty())
        a.m_authKind = AuthKind::Token;
    else if (!u.tokenFile.isEmpty())
        a.m_authKind = AuthKind::TokenFile;
    else if (hasBasic)
        a.m_authKind = AuthKind::Basic;
    else if (hasCert)
        a.m_authKind = AuthKind::ClientCertificate;
    else if (u.exec)
        a.m_authKind = AuthKind::ExecPlugin; // client-go ignores exec when others are set
    if (a.m_server.scheme() == QLatin1String("http") && a.m_authKind != AuthKind::None)
        a.m_warnings
                << QStringLiteral(
                           "server %1 is plain http: credentials are not sent (as kubectl does)")
                           .arg(cluster->server);
    return a;
}

bool ClusterAccess::needsExecCredential() const
{
    return m_authKind == AuthKind::ExecPlugin && m_server.scheme() == QLatin1String("https");
}

Result<QSslConfiguration>
ClusterAccess::tlsConfiguration(const ExecCredential *execCredential) const
{
    using R = Result<QSslConfiguration>;
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setProtocol(QSsl::TlsV1_2OrLater);
    if (m_cluster.insecureSkipTlsVerify) {
        ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
    } else {
        QByteArray caPem = m_cluster.certificateAuthorityData;
        if (caPem.isEmpty() && !m_cluster.certificateAuthorityFile.isEmpty()) {
            auto f = readFile(m_cluster.certificateAuthorityFile,
                              QStringLiteral("certificate authority"));
            if (!f)
                return R::failure(f.error());
            caPem = f.value();
        }
        if (!caPem.isEmpty()) {
            const QList<QSslCertificate> cas = QSslCertificate::fromData(caPem, QSsl::Pem);
            if (cas.isEmpty())
                return R::failure(QStringLiteral("cluster \"%1\": the certificate authority is not "
                                                 "a PEM certificate")
                                          .arg(m_cluster.name));
            ssl.setCaCertificates(cas); // only the cluster's CA, as client-go does
        }
        ssl.setPeerVerifyMode(QSslSocket::VerifyPeer);
    }

    QByteArray certPem = m_user.clientCertificateData;
    QByteArray keyPem = m_user.clientKeyData;
    if (certPem.isEmpty() && !m_user.clientCertificateFile.isEmpty()) {
        auto f = readFile(m_user.clientCertificateFile, QStringLiteral("client certificate"));
        if (!f)
            return R::failure(f.error());
        certPem = f.value();
    }
    if (keyPem.isEmpty() && !m_user.clientKeyFile.isEmpty()) {
        auto f = readFile(m_user.clientKeyFile, QStringLiteral("client key"));
        if (!f)
            return R::failure(f.error());
        keyPem = f.value();
    }
    if (certPem.isEmpty() && m_authKind == AuthKind::ExecPlugin && execCredential) {
        certPem = execCredential->clientCertificatePem;
        keyPem = execCredential->clientKeyPem;
    }
    if (!certPem.isEmpty()) {
        const QList<QSslCertificate> chain = QSslCertificate::fromData(certPem, QSsl::Pem);
        const QSslKey key = parseKey(keyPem);
        if (chain.isEmpty())
            return R::failure(QStringLiteral("user \"%1\": the client certificate is not PEM")
                                      .arg(m_user.name));
        if (key.isNull())
            return R::failure(
                    QStringLiteral("user \"%1\": the client key is not a PEM RSA or EC private key")
                            .arg(m_user.name));
        ssl.setLocalCertificateChain(chain);
        ssl.setPrivateKey(key);
    }
    return ssl;
}

Result<HeaderList> ClusterAccess::authHeaders(const ExecCredential *execCredential) const
{
    HeaderList h;
    if (m_server.scheme() != QLatin1String("https"))
        return h; // client-go applies no credentials to plain http
    switch (m_authKind) {
    case AuthKind::Token:
        h.append({QByteArrayLiteral("Authorization"), "Bearer " + m_user.token.toUtf8()});
        break;
    case AuthKind::TokenFile: {
        auto f = readFile(m_user.tokenFile, QStringLiteral("token file"));
        if (!f)
            return Result<HeaderList>::failure(f.error());
        h.append({QByteArrayLiteral("Authorization"), "Bearer " + f.value().trimmed()});
        break;
    }
    case AuthKind::Basic:
        h.append({QByteArrayLiteral("Authorization"),
                  "Basic "
                          + (m_user.username + QLatin1Char(':') + m_user.password)
                                    .toUtf8()
                                    .toBase64()});
        break;
    case AuthKind::ExecPlugin:
        if (!execCredential)
            return Result<HeaderList>::failure(
                    QStringLiteral("user \"%1\": no credential from the exec plugin")
                            .arg(m_user.name));
        if (!execCredential->token.isEmpty())
            h.append({QByteArrayLiteral("Authorization"),
                      "Bearer " + execCredential->token.toUtf8()});
        break;
    case AuthKind::ClientCertificate:
    case AuthKind::None:
        break;
    }
    if (!m_user.impersonate.isEmpty())
        h.append({QByteArrayLiteral("Impersonate-User"), m_user.impersonate.toUtf8()});
    if (!m_user.impersonateUid.isEmpty())
        h.append({QByteArrayLiteral("Impersonate-Uid"), m_user.impersonateUid.toUtf8()});
    for (const QString &g : m_user.impersonateGroups)
        h.append({QByteArrayLiteral("Impersonate-Group"), g.toUtf8()});
    return h;
}

} // namespace podtap
