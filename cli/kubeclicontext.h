#pragma once

#include "kube/clusteraccess.h"
#include "kube/credentialcache.h"
#include "kube/kubeapiclient.h"
#include "kube/tapprofile.h"

#include <QCommandLineParser>

#include <cstdio>
#include <memory>
#include <optional>

namespace podtap {

// The kubeconfig options every cluster-facing command shares (--kubeconfig, --context,
// -n) and the API client they produce.
class KubeCliContext
{
public:
    KubeCliContext();
    void addOptions(QCommandLineParser &parser);
    // Loads the kubeconfig and builds the client; prints the error and returns false.
    bool open(const QCommandLineParser &parser, FILE *err, const QString &contextOverride = {});

    KubeApiClient *api() { return m_api.get(); }
    QString ns() const { return m_ns; }

    // --tap-profile default|nonroot|baseline, shared by capture, mirror and preflight.
    static QCommandLineOption tapProfileOption();
    // The profile asked for (default when not set); prints why and returns nullopt otherwise.
    static std::optional<TapProfile> tapProfile(const QCommandLineParser &parser,
                                                const QCommandLineOption &option,
                                                const char *command, FILE *err);

private:
    QCommandLineOption m_kubeconfig;
    QCommandLineOption m_context;
    QCommandLineOption m_namespace;
    CredentialCache m_credentials;
    std::unique_ptr<KubeApiClient> m_api;
    QString m_ns;
};

} // namespace podtap
