#pragma once

#include "result.h"

#include <QNetworkProxy>
#include <QProcessEnvironment>
#include <QString>
#include <QUrl>

namespace podtap {

// The route to an API server, chosen as kubectl chooses it (client-go on Go's net/http):
// - the cluster's `proxy-url` in the kubeconfig, when set, always;
// - else HTTPS_PROXY (https servers) or HTTP_PROXY (http servers), upper case first, then
//   lower case, unless the server is `localhost` or a loopback address, or NO_PROXY matches;
// - NO_PROXY: comma-separated; `*` matches everything; `10.0.0.0/8` a network; an IP that
//   address; `example.com` the name and its subdomains; `.example.com` subdomains only;
//   `host:port` only that port.
// A proxy URL without a scheme is http://. http:// proxies tunnel with CONNECT; socks5://
// resolves names here and socks5h:// at the proxy. An https:// proxy (TLS to the proxy itself)
// is refused with a clear error: Qt cannot speak it.
class ProxyRoute
{
public:
    struct Choice
    {
        QNetworkProxy proxy{QNetworkProxy::NoProxy};
        // Where it came from: "proxy-url", "HTTPS_PROXY", "https_proxy", … or empty (direct).
        QString source;
        // The proxy's URL without credentials, for messages.
        QString display;
        // The NO_PROXY entry or rule that sent the server direct, when one did.
        QString bypassedBy;
        bool direct() const { return proxy.type() == QNetworkProxy::NoProxy; }
        // "via http://proxy:3128 (HTTPS_PROXY)" or "direct".
        QString describe() const;
    };

    static Result<Choice> choose(const QUrl &server, const QString &kubeconfigProxyUrl,
                                 const QProcessEnvironment &environment);
    // The NO_PROXY entry that matches host:port, or empty. `host` without brackets.
    static QString noProxyMatch(const QString &noProxy, const QString &host, int port);
    static Result<QNetworkProxy> parse(const QString &proxyUrl, QString *display = nullptr);
};

} // namespace podtap
