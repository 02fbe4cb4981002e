#include "kubesimapp.h"

#include "apiserver.h"
#include "certauthority.h"
#include "kubeconfigwriter.h"
#include "rbacmanifestloader.h"
#include "scenarioloader.h"

#ifdef KUBESIM_HAVE_RUNTIME
#include "podruntime.h"
#endif

#include <QCoreApplication>
#include <QDir>
#include <QHostAddress>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QSslKey>

#include <unistd.h>

Q_LOGGING_CATEGORY(lcApp, "kubesim.app", QtInfoMsg)

namespace kubesim {

namespace {

QString randomToken()
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    QString s;
    for (int i = 0; i < 32; ++i)
        s += QLatin1Char(alphabet[QRandomGenerator::system()->bounded(36)]);
    return s;
}

} // namespace

KubesimApp::KubesimApp(QObject *parent)
    : QObject(parent)
{}

KubesimApp::~KubesimApp()
{
    shutdown();
}

bool KubesimApp::runtimeBuiltIn()
{
#ifdef KUBESIM_HAVE_RUNTIME
    return true;
#else
    return false;
#endif
}

bool KubesimApp::start(const KubesimOptions &options, QString *error)
{
    auto scenario = ScenarioLoader::loadFile(options.scenarioPath);
    if (!scenario) {
        *error = scenario.error();
        return false;
    }
    m_scenario = scenario.value();
    for (const QString &file : options.rbacFiles) {
        const auto applied = RbacManifestLoader::applyFile(file, &m_scenario);
        if (!applied) {
            *error = applied.error();
            return false;
        }
    }

    m_ca = std::make_unique<CertAuthority>();
    if (!m_ca->init(error))
        return false;
    const QHostAddress listenAddress(options.address);
    if (listenAddress.isNull()) {
        *error = QStringLiteral("--address %1 is not an IP address").arg(options.address);
        return false;
    }
    const IssuedCert serverCert
            = options.serverNames.isEmpty()
                      ? m_ca->issueServer({QStringLiteral("localhost")}, {options.address}, error)
                      : m_ca->issueServer(options.serverNames, {}, error);
    if (serverCert.certPem.isEmpty())
        return false;

    bool runtimeOk = false;
#ifdef KUBESIM_HAVE_RUNTIME
    const QString stateDir = options.stateDir.isEmpty()
                                     ? QDir::tempPath() + QStringLiteral("/kubesim-state")
                                     : options.stateDir;
    QDir().mkpath(stateDir);
    m_runtime = new PodRuntime(stateDir, this);
    QString rtError;
    runtimeOk = m_runtime->cleanStale(&rtError);
    if (!runtimeOk) {
        if (options.requireRuntime) {
            *error = QStringLiteral("pod runtime unavailable: ") + rtError;
            return false;
        }
        qCWarning(lcApp).noquote() << "pod runtime unavailable, pods get placeholder addresses and"
                                   << "exec is refused:" << rtError;
    }
#endif
    m_server = new ApiServer(m_scenario, m_ca.get(), runtimeOk ? m_runtime : nullptr, this);

    int index = 0;
    for (const auto &pod : std::as_const(m_scenario.pods)) {
        ++index;
        QString ip, ip6;
#ifdef KUBESIM_HAVE_RUNTIME
        if (runtimeOk) {
            PodSpec spec;
            spec.ns = pod.ns;
            spec.name = pod.name;
            spec.workload.kind = pod.workload.kind;
            spec.workload.port = quint16(pod.workload.port);
            if (pod.sidecar)
                spec.sidecar = SidecarSpec{pod.sidecar->kind, quint16(pod.sidecar->port)};
            if (pod.traffic)
                spec.traffic = TrafficSpec{pod.traffic->ratePerSecond, pod.traffic->requestSize,
                                           pod.traffic->connections};
            QString podError;
            if (!m_runtime->startPod(spec, &ip, &ip6, &podError)) {
                *error = QStringLiteral("cannot start pod %1/%2: %3")
                                 .arg(pod.ns, pod.name, podError);
                return false;
            }
        }
#endif
        if (ip.isEmpty()) {
            // Placeholder from the range kubesim owns; nothing listens there.
            ip = QStringLiteral("198.19.%1.%2").arg(200 + index / 250).arg(index % 250 + 1);
            ip6 = QStringLiteral("fd00:6b73::%1").arg(index, 0, 16);
        }
        m_server->addPod(pod, ip, ip6);
    }
#ifdef KUBESIM_HAVE_RUNTIME
    if (runtimeOk) {
        for (const auto &f : std::as_const(m_scenario.faults.exec)) {
            FaultSpec spec;
            spec.cutAfterBytes = f.cutAfterBytes;
            spec.cutAfterMs = f.cutAfterMs;
            spec.stall = f.stall;
            spec.dropPackets.port = quint16(f.dropPort);
            spec.dropPackets.every = f.dropEvery;
            spec.dropPackets.ordinals = f.dropOrdinals;
            spec.dropPackets.max = f.dropMax;
            if (!f.dropLog.isEmpty())
                spec.dropPackets.logPath = QDir(stateDir).absoluteFilePath(f.dropLog);
            m_runtime->setExecFault(f.ns, f.pod, spec);
        }
    }
#endif
    m_server->finishSetup();

    QList<KubeconfigUser> kcUsers;
    const QString self = QCoreApplication::applicationFilePath();
    for (const auto &u : std::as_const(m_scenario.users)) {
        KubeconfigUser k;
        k.name = u.name;
        const UserInfo info{u.name, u.groups};
        if (u.auth == QLatin1String("client-cert")) {
            const IssuedCert c
                    = m_ca->issueClient(u.name, u.groups, error, u.keyType == QLatin1String("rsa"));
            if (c.certPem.isEmpty())
                return false;
            k.clientCertPem = c.certPem;
            k.clientKeyPem = c.keyPem;
        } else if (u.auth == QLatin1String("basic")) {
            m_server->addBasicUser(u.username, u.password, info);
            k.username = u.username;
            k.password = u.password;
        } else {
            const QString token = u.token.isEmpty() ? randomToken() : u.token;
            m_server->addToken(token, info);
            if (u.auth == QLatin1String("token")) {
                k.token = token;
            } else {
                k.execApiVersion = u.auth == QLatin1String("exec-v1")
                                           ? QStringLiteral("client.authentication.k8s.io/v1")
                                           : QStringLiteral("client.authentication.k8s.io/v1beta1");
                k.execCommand = self;
                k.execArgs = {QStringLiteral("exec-credential"), QStringLiteral("--token"), token};
                if (u.execTokenTtlSeconds > 0)
                    k.execArgs << QStringLiteral("--ttl") << QString::number(u.execTokenTtlSeconds);
            }
        }
        kcUsers << k;
    }

    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificate(QSslCertificate(serverCert.certPem, QSsl::Pem));
    tls.setPrivateKey(QSslKey(serverCert.keyPem, QSsl::Ec, QSsl::Pem));
    tls.setCaCertificates({QSslCertificate(m_ca->caCertPem(), QSsl::Pem)});
    tls.setPeerVerifyMode(QSslSocket::QueryPeer); // token users present no certificate
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.setAllowedNextProtocols({QByteArrayLiteral("http/1.1")});
    if (!m_server->listen(tls, listenAddress, options.port, error))
        return false;

    QString defaultNs;
    for (const auto &ns : std::as_const(m_scenario.namespaces))
        if (ns.name != QLatin1String("default") && defaultNs.isEmpty())
            defaultNs = ns.name;
    const QByteArray kc = KubeconfigWriter::render(
            serverUrl(), m_ca->caCertPem(), kcUsers,
            kcUsers.isEmpty() ? QString() : kcUsers.first().name, defaultNs);
    return KubeconfigWriter::write(options.kubeconfigOut, kc, error);
}

QString KubesimApp::serverUrl() const
{
    QUrl url;
    url.setScheme(QStringLiteral("https"));
    url.setHost(m_server ? m_server->address().toString() : QStringLiteral("127.0.0.1"));
    url.setPort(m_server ? m_server->port() : 0);
    return url.toString();
}

void KubesimApp::shutdown()
{
#ifdef KUBESIM_HAVE_RUNTIME
    if (m_runtime)
        m_runtime->shutdown();
#endif
}

} // namespace kubesim
