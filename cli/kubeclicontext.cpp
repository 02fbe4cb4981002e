#include "kubeclicontext.h"

namespace podtap {

KubeCliContext::KubeCliContext()
    : m_kubeconfig(QStringLiteral("kubeconfig"), QStringLiteral("Use only this kubeconfig file."),
                   QStringLiteral("FILE"))
    , m_context(QStringLiteral("context"), QStringLiteral("kubeconfig context (default: current)."),
                QStringLiteral("NAME"))
    , m_namespace({QStringLiteral("n"), QStringLiteral("namespace")},
                  QStringLiteral("Namespace (default: the context's)."), QStringLiteral("NS"))
{}

void KubeCliContext::addOptions(QCommandLineParser &parser)
{
    parser.addOptions({m_kubeconfig, m_context, m_namespace});
}

bool KubeCliContext::open(const QCommandLineParser &p, FILE *err, const QString &contextOverride)
{
    const auto config = p.isSet(m_kubeconfig) ? Kubeconfig::loadFile(p.value(m_kubeconfig))
                                              : Kubeconfig::loadDefault();
    if (!config) {
        std::fprintf(err, "podtap: %s\n", qPrintable(config.error()));
        return false;
    }
    const QString ctx = !contextOverride.isEmpty() ? contextOverride : p.value(m_context);
    auto access = ClusterAccess::fromKubeconfig(config.value(), ctx);
    if (!access) {
        std::fprintf(err, "podtap: %s\n", qPrintable(access.error()));
        return false;
    }
    for (const QString &w : access->warnings())
        std::fprintf(err, "podtap: warning: %s\n", qPrintable(w));
    m_ns = p.isSet(m_namespace) ? p.value(m_namespace) : access->defaultNamespace();
    m_api = std::make_unique<KubeApiClient>(access.value(), &m_credentials);
    return true;
}

QCommandLineOption KubeCliContext::tapProfileOption()
{
    return QCommandLineOption(
            QStringLiteral("tap-profile"),
            QStringLiteral("Tap security profile: default (tcpdump as root, NET_RAW only, no "
                           "privilege escalation), nonroot (uid 65532, NET_RAW through the "
                           "image's file capability, escalation allowed; needs --image) or "
                           "baseline (adds nothing, drops all but NET_RAW: admitted by Pod "
                           "Security baseline; needs a containerd or Docker node)."),
            QStringLiteral("PROFILE"), QStringLiteral("default"));
}

std::optional<TapProfile> KubeCliContext::tapProfile(const QCommandLineParser &parser,
                                                     const QCommandLineOption &option,
                                                     const char *command, FILE *err)
{
    const QString name = parser.value(option);
    const auto profile = tapProfileFromName(name);
    if (!profile)
        std::fprintf(err, "podtap %s: unknown tap profile '%s' (%s)\n", command, qPrintable(name),
                     qPrintable(tapProfileChoices()));
    return profile;
}

} // namespace podtap
