#include "tlsservername.h"

#include <QHostAddress>
#include <QMultiMap>

namespace podtap {

namespace {

bool dnsNameMatches(QString pattern, QString name)
{
    pattern = pattern.toLower();
    name = name.toLower();
    if (name.endsWith(QLatin1Char('.')))
        name.chop(1);
    if (pattern.endsWith(QLatin1Char('.')))
        pattern.chop(1);
    if (pattern == name)
        return true;
    // "*.example.com" matches exactly one label: "a.example.com", not "a.b.example.com".
    if (!pattern.startsWith(QLatin1String("*.")))
        return false;
    const qsizetype dot = name.indexOf(QLatin1Char('.'));
    return dot > 0 && name.mid(dot) == pattern.mid(1);
}

} // namespace

bool TlsServerName::certificateMatches(const QSslCertificate &certificate,
                                       const QString &serverName)
{
    if (certificate.isNull() || serverName.isEmpty())
        return false;
    const auto names = certificate.subjectAlternativeNames();
    const QHostAddress ip(serverName);
    if (!ip.isNull()) {
        for (const QString &a : names.values(QSsl::IpAddressEntry))
            if (QHostAddress(a).isEqual(ip))
                return true;
        return false;
    }
    for (const QString &d : names.values(QSsl::DnsEntry))
        if (dnsNameMatches(d, serverName))
            return true;
    return false;
}

bool TlsServerName::onlyMismatchResolvedBy(const QList<QSslError> &errors,
                                           const QSslCertificate &peer, const QString &serverName)
{
    if (errors.isEmpty() || serverName.isEmpty())
        return false;
    for (const QSslError &e : errors)
        if (e.error() != QSslError::HostNameMismatch)
            return false;
    return certificateMatches(peer, serverName);
}

} // namespace podtap
