#pragma once

#include <QList>
#include <QSslCertificate>
#include <QSslError>
#include <QString>

namespace podtap {

// The kubeconfig's tls-server-name for connections whose TLS layer cannot be given a peer
// verify name. QWebSocket (Qt 6.4) verifies the URL's host and ignores the request's
// peerVerifyName, so an exec stream to a server known by tls-server-name fails with
// HostNameMismatch alone; these errors may be ignored only when the chain verified (no other
// error) and the certificate names the server as Go's crypto/tls would check it: DNS names
// of the subjectAltName (one leading wildcard label), IP addresses for an IP, no Common Name.
class TlsServerName
{
public:
    static bool certificateMatches(const QSslCertificate &certificate, const QString &serverName);
    // True when `errors` are exactly the host-name mismatches that `serverName` resolves.
    static bool onlyMismatchResolvedBy(const QList<QSslError> &errors, const QSslCertificate &peer,
                                       const QString &serverName);
};

} // namespace podtap
