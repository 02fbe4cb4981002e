// ProxyRoute: the route kubectl (Go's net/http ProxyFromEnvironment) would take to a server.
// tst_kubeproxy checks the same choices against a real tinyproxy and the real kubectl.
#include "kube/proxyroute.h"

#include <QTest>

using namespace podtap;

class TstProxyRoute : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void noProxy_data();
    void noProxy();
    void environmentPrecedence();
    void loopbackIsNeverProxied();
    void kubeconfigProxyUrlWins();
    void proxyUrls_data();
    void proxyUrls();
};

void TstProxyRoute::noProxy_data()
{
    QTest::addColumn<QString>("noProxy");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<bool>("bypassed");
    const int p = 6443;
    QTest::newRow("empty") << ""
                           << "api.example.com" << p << false;
    QTest::newRow("star") << "*"
                          << "api.example.com" << p << true;
    QTest::newRow("star after others") << "a.test, *"
                                       << "api.example.com" << p << true;
    QTest::newRow("name itself") << "example.com"
                                 << "example.com" << p << true;
    QTest::newRow("name's subdomain") << "example.com"
                                      << "api.example.com" << p << true;
    QTest::newRow("not a suffix of a label") << "example.com"
                                             << "myexample.com" << p << false;
    QTest::newRow("dot: subdomains only") << ".example.com"
                                          << "example.com" << p << false;
    QTest::newRow("dot: subdomain") << ".example.com"
                                    << "api.example.com" << p << true;
    QTest::newRow("star-dot") << "*.example.com"
                              << "api.example.com" << p << true;
    QTest::newRow("star-dot not the name") << "*.example.com"
                                           << "example.com" << p << false;
    QTest::newRow("case") << "EXAMPLE.com"
                          << "Api.Example.COM" << p << true;
    QTest::newRow("port matches") << "example.com:6443"
                                  << "api.example.com" << p << true;
    QTest::newRow("port differs") << "example.com:443"
                                  << "api.example.com" << p << false;
    QTest::newRow("ip") << "10.1.2.3"
                        << "10.1.2.3" << p << true;
    QTest::newRow("other ip") << "10.1.2.3"
                              << "10.1.2.4" << p << false;
    QTest::newRow("ip:port") << "10.1.2.3:6443"
                             << "10.1.2.3" << p << true;
    QTest::newRow("cidr") << "10.0.0.0/8"
                          << "10.200.0.1" << p << true;
    QTest::newRow("cidr outside") << "10.0.0.0/8"
                                  << "11.0.0.1" << p << false;
    QTest::newRow("cidr never a name") << "10.0.0.0/8"
                                       << "ten.example" << p << false;
    QTest::newRow("v6 cidr") << "fd00::/8"
                             << "fd00::1" << p << true;
    QTest::newRow("v6 bracketed port") << "[fd00::1]:6443"
                                       << "fd00::1" << p << true;
    QTest::newRow("name never an ip") << "example.com"
                                      << "93.184.216.34" << p << false;
    QTest::newRow("spaces and empties") << " , foo.test ,, example.com "
                                        << "x.example.com" << p << true;
    QTest::newRow("bad cidr ignored") << "10.0.0.0/99"
                                      << "10.0.0.1" << p << false;
}

void TstProxyRoute::noProxy()
{
    QFETCH(QString, noProxy);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(bool, bypassed);
    QCOMPARE(!ProxyRoute::noProxyMatch(noProxy, host, port).isEmpty(), bypassed);
}

void TstProxyRoute::environmentPrecedence()
{
    const QUrl https(QStringLiteral("https://api.example.com:6443"));
    QProcessEnvironment env;
    auto c = ProxyRoute::choose(https, {}, env);
    QVERIFY(c.ok());
    QVERIFY(c->direct());
    QCOMPARE(c->describe(), QStringLiteral("direct"));

    env.insert(QStringLiteral("HTTP_PROXY"), QStringLiteral("http://h:1"));
    c = ProxyRoute::choose(https, {}, env);
    QVERIFY(c->direct()); // https servers read HTTPS_PROXY only

    env.insert(QStringLiteral("https_proxy"), QStringLiteral("lower:2"));
    c = ProxyRoute::choose(https, {}, env);
    QCOMPARE(c->source, QStringLiteral("https_proxy"));
    QCOMPARE(c->proxy.hostName(), QStringLiteral("lower"));
    QCOMPARE(c->proxy.port(), quint16(2));
    QCOMPARE(c->proxy.type(), QNetworkProxy::HttpProxy); // no scheme: http://

    env.insert(QStringLiteral("HTTPS_PROXY"), QStringLiteral("http://user:secret@upper:3"));
    c = ProxyRoute::choose(https, {}, env);
    QCOMPARE(c->source, QStringLiteral("HTTPS_PROXY"));
    QCOMPARE(c->proxy.user(), QStringLiteral("user"));
    QCOMPARE(c->proxy.password(), QStringLiteral("secret"));
    QCOMPARE(c->describe(), QStringLiteral("via http://upper:3 (HTTPS_PROXY)"));
    QVERIFY(!c->describe().contains(QLatin1String("secret")));

    env.insert(QStringLiteral("no_proxy"), QStringLiteral(".example.com"));
    c = ProxyRoute::choose(https, {}, env);
    QVERIFY(c->direct());
    QCOMPARE(c->describe(), QStringLiteral("direct (no_proxy entry .example.com)"));

    const QUrl http(QStringLiteral("http://plain.test:8080"));
    c = ProxyRoute::choose(http, {}, env);
    QCOMPARE(c->source, QStringLiteral("HTTP_PROXY"));
    QCOMPARE(c->proxy.port(), quint16(1));
}

void TstProxyRoute::loopbackIsNeverProxied()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("HTTPS_PROXY"), QStringLiteral("http://proxy:3128"));
    for (const char *server : {"https://127.0.0.1:6443", "https://127.9.9.9", "https://[::1]:6443",
                               "https://localhost:6443", "https://LOCALHOST"}) {
        const auto c = ProxyRoute::choose(QUrl(QLatin1String(server)), {}, env);
        QVERIFY(c.ok());
        QVERIFY2(c->direct(), server);
    }
    QVERIFY(!ProxyRoute::choose(QUrl(QStringLiteral("https://10.0.0.1")), {}, env)->direct());
}

void TstProxyRoute::kubeconfigProxyUrlWins()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("HTTPS_PROXY"), QStringLiteral("http://env:3128"));
    env.insert(QStringLiteral("NO_PROXY"), QStringLiteral("*"));
    const QUrl server(QStringLiteral("https://127.0.0.1:6443"));
    auto c = ProxyRoute::choose(server, QStringLiteral("socks5://bastion:1080"), env);
    QVERIFY(c.ok());
    QCOMPARE(c->source, QStringLiteral("proxy-url"));
    QCOMPARE(c->proxy.type(), QNetworkProxy::Socks5Proxy);
    QCOMPARE(c->proxy.hostName(), QStringLiteral("bastion"));
    // socks5:// resolves names here, socks5h:// at the proxy (Go's rule).
    QVERIFY(!(c->proxy.capabilities() & QNetworkProxy::HostNameLookupCapability));
    c = ProxyRoute::choose(server, QStringLiteral("socks5h://bastion"), env);
    QVERIFY(c->proxy.capabilities() & QNetworkProxy::HostNameLookupCapability);
    QCOMPARE(c->proxy.port(), quint16(1080));

    c = ProxyRoute::choose(server, QStringLiteral("ftp://x"), env);
    QVERIFY(!c.ok());
    QVERIFY2(c.error().startsWith(QLatin1String("kubeconfig proxy-url: ")), qPrintable(c.error()));
}

void TstProxyRoute::proxyUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("host"); // empty: refused
    QTest::addColumn<int>("port");
    QTest::newRow("http default port") << "http://p.test"
                                       << "p.test" << 80;
    QTest::newRow("bare host:port") << "p.test:3128"
                                    << "p.test" << 3128;
    QTest::newRow("bare ip") << "10.0.0.9"
                             << "10.0.0.9" << 80;
    QTest::newRow("https refused") << "https://p.test:443"
                                   << "" << 0;
    QTest::newRow("unknown scheme refused") << "gopher://p.test"
                                            << "" << 0;
    QTest::newRow("garbage refused") << "http://[::zz"
                                     << "" << 0;
}

void TstProxyRoute::proxyUrls()
{
    QFETCH(QString, url);
    QFETCH(QString, host);
    QFETCH(int, port);
    const auto p = ProxyRoute::parse(url);
    QCOMPARE(p.ok(), !host.isEmpty());
    if (!p.ok()) {
        QVERIFY(p.error().contains(QLatin1String("proxy")));
        return;
    }
    QCOMPARE(p->hostName(), host);
    QCOMPARE(int(p->port()), port);
}

QTEST_GUILESS_MAIN(TstProxyRoute)
#include "tst_proxyroute.moc"
