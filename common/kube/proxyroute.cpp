#include "proxyroute.h"

#include <QHostAddress>
#include <QStringList>

namespace podtap {

namespace {

// Go's url.Port() default for the scheme (canonicalAddr).
int defaultPort(const QString &scheme)
{
    if (scheme == QLatin1String("https") || scheme == QLatin1String("wss"))
        return 443;
    if (scheme.startsWith(QLatin1String("socks5")))
        return 1080;
    return 80;
}

struct EnvValue
{
    QString name;
    QString value;
};

EnvValue firstSet(const QProcessEnvironment &env, const char *upper, const char *lower)
{
    for (const char *n : {upper, lower}) {
        const QString name = QLatin1String(n);
        const QString v = env.value(name).trimmed();
        if (!v.isEmpty())
            return {name, v};
    }
    return {};
}

bool isLoopbackHost(const QString &host)
{
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        return true;
    const QHostAddress a(host);
    return !a.isNull() && a.isLoopback();
}

// Splits "host:port", "[v6]:port", "v6", "host" into host and port (-1 when none).
void splitHostPort(const QString &entry, QString *host, int *port)
{
    *port = -1;
    *host = entry;
    if (entry.startsWith(QLatin1Char('['))) {
        const qsizetype close = entry.indexOf(QLatin1Char(']'));
        if (close > 0) {
            *host = entry.mid(1, close - 1);
            if (entry.mid(close + 1).startsWith(QLatin1Char(':')))
                *port = entry.mid(close + 2).toInt();
        }
        return;
    }
    if (entry.count(QLatin1Char(':')) == 1) {
        const qsizetype colon = entry.indexOf(QLatin1Char(':'));
        bool ok = false;
        const int p = entry.mid(colon + 1).toInt(&ok);
        if (ok) {
            *host = entry.left(colon);
            *port = p;
        }
    }
}

} // namespace

QString ProxyRoute::Choice::describe() const
{
    if (direct())
        return bypassedBy.isEmpty() ? QStringLiteral("direct")
                                    : QStringLiteral("direct (%1)").arg(bypassedBy);
    return QStringLiteral("via %1 (%2)").arg(display, source);
}

QString ProxyRoute::noProxyMatch(const QString &noProxy, const QString &hostIn, int port)
{
    const QString host = hostIn.toLower();
    const QHostAddress hostIp(host);
    for (QString entry : noProxy.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        entry = entry.trimmed().toLower();
        if (entry.isEmpty())
            continue;
        if (entry == QLatin1String("*"))
            return entry;
        if (entry.contains(QLatin1Char('/'))) {
            const auto subnet = QHostAddress::parseSubnet(entry);
            if (subnet.first.isNull())
                continue;
            if (!hostIp.isNull() && hostIp.isInSubnet(subnet))
                return entry;
            continue;
        }
        QString eh;
        int ep = -1;
        splitHostPort(entry, &eh, &ep);
        if (ep >= 0 && ep != port)
            continue;
        const QHostAddress entryIp(eh);
        if (!entryIp.isNull()) {
            if (!hostIp.isNull() && entryIp.isEqual(hostIp))
                return entry;
            continue;
        }
        if (!hostIp.isNull())
            continue; // a name never matches an address (Go does not resolve)
        if (eh.startsWith(QLatin1String("*.")))
            eh.remove(0, 1);
        if (eh.startsWith(QLatin1Char('.'))) {
            if (host.endsWith(eh)) // subdomains only
                return entry;
        } else if (host == eh || host.endsWith(QLatin1Char('.') + eh)) {
            return entry;
        }
    }
    return {};
}

Result<QNetworkProxy> ProxyRoute::parse(const QString &proxyUrl, QString *display)
{
    using R = Result<QNetworkProxy>;
    QString text = proxyUrl.trimmed();
    QUrl u(text, QUrl::StrictMode);
    if (!text.contains(QLatin1String("://"))) // Go's rule: "host:port" means http://host:port
        u = QUrl(QStringLiteral("http://") + text, QUrl::StrictMode);
    if (!u.isValid() || u.host().isEmpty())
        return R::failure(QStringLiteral("proxy %1 is not a URL (expected http://HOST:PORT or "
                                         "socks5://HOST:PORT)")
                                  .arg(text));
    const QString scheme = u.scheme().toLower();
    QUrl shown = u;
    shown.setUserInfo({});
    if (display)
        *display = shown.toString();
    const quint16 port = quint16(u.port(defaultPort(scheme)));
    if (scheme == QLatin1String("http")) {
        return QNetworkProxy(QNetworkProxy::HttpProxy, u.host(), port, u.userName(), u.password());
    }
    if (scheme == QLatin1String("socks5") || scheme == QLatin1String("socks5h")) {
        QNetworkProxy p(QNetworkProxy::Socks5Proxy, u.host(), port, u.userName(), u.password());
        if (scheme == QLatin1String("socks5")) // names resolved here, as Go's socks5 does
            p.setCapabilities(p.capabilities() & ~QNetworkProxy::HostNameLookupCapability);
        return p;
    }
    if (scheme == QLatin1String("https"))
        return R::failure(QStringLiteral("proxy %1 uses https:// (TLS to the proxy itself), which "
                                         "podtap cannot speak; use an http:// proxy (it still "
                                         "tunnels TLS to the API server with CONNECT)")
                                  .arg(shown.toString()));
    return R::failure(QStringLiteral("proxy %1 has the unsupported scheme %2: (expected http or "
                                     "socks5)")
                              .arg(shown.toString(), scheme));
}

Result<ProxyRoute::Choice> ProxyRoute::choose(const QUrl &server, const QString &kubeconfigProxyUrl,
                                              const QProcessEnvironment &environment)
{
    using R = Result<Choice>;
    Choice c;
    if (!kubeconfigProxyUrl.trimmed().isEmpty()) {
        auto p = parse(kubeconfigProxyUrl, &c.display);
        if (!p)
            return R::failure(QStringLiteral("kubeconfig proxy-url: ") + p.error());
        c.proxy = p.value();
        c.source = QStringLiteral("proxy-url");
        return c;
    }
    const bool https = server.scheme() == QLatin1String("https");
    const EnvValue proxy = https ? firstSet(environment, "HTTPS_PROXY", "https_proxy")
                                 : firstSet(environment, "HTTP_PROXY", "http_proxy");
    if (proxy.value.isEmpty())
        return c;
    const QString host = server.host();
    if (isLoopbackHost(host)) {
        c.bypassedBy = QStringLiteral("loopback, never proxied");
        return c;
    }
    const EnvValue noProxy = firstSet(environment, "NO_PROXY", "no_proxy");
    const QString match
            = noProxyMatch(noProxy.value, host, server.port(defaultPort(server.scheme())));
    if (!match.isEmpty()) {
        c.bypassedBy = QStringLiteral("%1 entry %2").arg(noProxy.name, match);
        return c;
    }
    auto p = parse(proxy.value, &c.display);
    if (!p)
        return R::failure(proxy.name + QStringLiteral(": ") + p.error());
    c.proxy = p.value();
    c.source = proxy.name;
    return c;
}

} // namespace podtap
