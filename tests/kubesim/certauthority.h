#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <memory>

namespace kubesim {

struct IssuedCert
{
    QByteArray certPem, keyPem;
};

// A throwaway CA (EC P-256, libcrypto) that issues the server certificate and client
// certificates (EC, or RSA on request) (CN = user, O = groups, as the apiserver's x509
// authenticator reads them) and verifies client certificates presented in the TLS handshake.
class CertAuthority
{
public:
    CertAuthority();
    ~CertAuthority();
    CertAuthority(const CertAuthority &) = delete;
    CertAuthority &operator=(const CertAuthority &) = delete;

    bool init(QString *error);
    QByteArray caCertPem() const { return m_caCertPem; }

    IssuedCert issueServer(const QStringList &dnsNames, const QStringList &ipAddresses,
                           QString *error);
    // `rsa`: an RSA 2048 key in PKCS#1 PEM ("BEGIN RSA PRIVATE KEY", as kubeadm writes it)
    // instead of EC P-256 in PKCS#8.
    IssuedCert issueClient(const QString &user, const QStringList &groups, QString *error,
                           bool rsa = false);

    // True when the DER certificate was signed by this CA and is within its validity period.
    bool verify(const QByteArray &certDer) const;

private:
    struct Private;
    IssuedCert issue(const QString &cn, const QStringList &orgs, const QStringList &dns,
                     const QStringList &ips, bool server, QString *error, bool rsa = false);
    std::unique_ptr<Private> d;
    QByteArray m_caCertPem;
};

} // namespace kubesim
