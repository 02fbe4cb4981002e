#pragma once

#include "scenario.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>

namespace kubesim {

class ApiServer;
class CertAuthority;
class PodRuntime;

struct KubesimOptions
{
    QString scenarioPath, kubeconfigOut, stateDir;
    QStringList rbacFiles; // Role/RoleBinding manifests bound to the scenario's users
    quint16 port = 0;
    bool requireRuntime = false;
};

// Wires scenario, CA, pod runtime, API server and kubeconfig together.
class KubesimApp : public QObject
{
    Q_OBJECT
public:
    explicit KubesimApp(QObject *parent = nullptr);
    ~KubesimApp() override;

    bool start(const KubesimOptions &options, QString *error);
    QString serverUrl() const;
    void shutdown();
    static bool runtimeBuiltIn();

private:
    Scenario m_scenario;
    std::unique_ptr<CertAuthority> m_ca;
    PodRuntime *m_runtime = nullptr;
    ApiServer *m_server = nullptr;
};

} // namespace kubesim
