#include "certauthority.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace kubesim {

namespace {

QString sslError(const char *what)
{
    char buf[256] = {};
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    return QLatin1String(what) + QStringLiteral(": ") + QString::fromLatin1(buf);
}

EVP_PKEY *newKey(bool rsa = false)
{
    return rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
}

QByteArray keyPem(EVP_PKEY *key, bool traditional)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (traditional)
        PEM_write_bio_PrivateKey_traditional(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    else
        PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char *data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    QByteArray out(data, int(len));
    BIO_free(bio);
    return out;
}

QByteArray certPem(X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    char *data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    QByteArray out(data, int(len));
    BIO_free(bio);
    return out;
}

bool addExt(X509 *cert, X509 *issuer, int nid, const QByteArray &value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.constData());
    if (!ext)
        return false;
    const bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

void setSerial(X509 *cert)
{
    unsigned char bytes[16];
    RAND_bytes(bytes, sizeof bytes);
    bytes[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(bytes, sizeof bytes, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
    BN_free(bn);
}

} // namespace

struct CertAuthority::Private
{
    EVP_PKEY *caKey = nullptr;
    X509 *caCert = nullptr;
    ~Private()
    {
        EVP_PKEY_free(caKey);
        X509_free(caCert);
    }
};

CertAuthority::CertAuthority()
    : d(std::make_unique<Private>())
{}

CertAuthority::~CertAuthority() = default;

bool CertAuthority::init(QString *error)
{
    d->caKey = newKey();
    if (!d->caKey) {
        *error = sslError("CA key generation failed");
        return false;
    }
    X509 *cert = X509_new();
    X509_set_version(cert, 2);
    setSerial(cert);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 7L * 24 * 3600);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char *>("kubesim-ca"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, d->caKey);
    addExt(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
    addExt(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
    addExt(cert, cert, NID_subject_key_identifier, "hash");
    if (X509_sign(cert, d->caKey, EVP_sha256()) == 0) {
        X509_free(cert);
        *error = sslError("CA self-signing failed");
        return false;
    }
    d->caCert = cert;
    m_caCertPem = certPem(cert);
    return true;
}

IssuedCert CertAuthority::issueServer(const QStringList &dnsNames, const QStringList &ipAddresses,
                                      QString *error)
{
    return issue(QStringLiteral("kubesim-apiserver"), {}, dnsNames, ipAddresses, true, error);
}

IssuedCert CertAuthority::issueClient(const QString &user, const QStringList &groups,
                                      QString *error, bool rsa)
{
    return issue(user, groups, {}, {}, false, error, rsa);
}

IssuedCert CertAuthority::issue(const QString &cn, const QStringList &orgs, const QStringList &dns,
                                const QStringList &ips, bool server, QString *error, bool rsa)
{
    IssuedCert out;
    EVP_PKEY *key = newKey(rsa);
    if (!key) {
        *error = sslError("key generation failed");
        return out;
    }
    X509 *cert = X509_new();
    X509_set_version(cert, 2);
    setSerial(cert);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 7L * 24 * 3600);
    X509_NAME *name = X509_get_subject_name(cert);
    for (const QString &o : orgs) {
        const QByteArray ob = o.toUtf8();
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char *>(ob.constData()), -1, -1,
                                   0);
    }
    const QByteArray cnb = cn.toUtf8();
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char *>(cnb.constData()), -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(d->caCert));
    X509_set_pubkey(cert, key);
    addExt(cert, d->caCert, NID_basic_constraints, "critical,CA:FALSE");
    addExt(cert, d->caCert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    addExt(cert, d->caCert, NID_ext_key_usage, server ? "serverAuth" : "clientAuth");
    addExt(cert, d->caCert, NID_authority_key_identifier, "keyid:always");
    if (server) {
        QByteArray san;
        for (const QString &n : dns)
            san += (san.isEmpty() ? "" : ",") + QByteArray("DNS:") + n.toUtf8();
        for (const QString &ip : ips)
            san += (san.isEmpty() ? "" : ",") + QByteArray("IP:") + ip.toUtf8();
        if (!san.isEmpty())
            addExt(cert, d->caCert, NID_subject_alt_name, san);
    }
    if (X509_sign(cert, d->caKey, EVP_sha256()) == 0) {
        *error = sslError("certificate signing failed");
    } else {
        out.certPem = certPem(cert);
        out.keyPem = keyPem(key, rsa);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return out;
}

bool CertAuthority::verify(const QByteArray &certDer) const
{
    const unsigned char *p = reinterpret_cast<const unsigned char *>(certDer.constData());
    X509 *cert = d2i_X509(nullptr, &p, certDer.size());
    if (!cert)
        return false;
    bool ok = X509_verify(cert, d->caKey) == 1
              && X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(d->caCert)) == 0
              && X509_cmp_current_time(X509_get0_notBefore(cert)) < 0
              && X509_cmp_current_time(X509_get0_notAfter(cert)) > 0;
    X509_free(cert);
    return ok;
}

} // namespace kubesim
