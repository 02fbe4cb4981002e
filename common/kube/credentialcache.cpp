#include "credentialcache.h"
#include "kubelog.h"

#include <QCryptographicHash>

#include <algorithm>

namespace podtap {

namespace {

// Variables a shell sets per command or folder: two `podtap` runs from one terminal should
// share a credential. Plugins read credentials from HOME, AWS_*, CLOUDSDK_*… never from these.
bool volatileVariable(const QString &name)
{
    return name == QLatin1String("PWD") || name == QLatin1String("OLDPWD")
           || name == QLatin1String("SHLVL") || name == QLatin1String("_");
}

void addField(QCryptographicHash &h, const QByteArray &bytes)
{
    // Length-prefixed: no two different field lists hash the same bytes.
    const QByteArray n = QByteArray::number(bytes.size());
    h.addData(n);
    h.addData(QByteArrayView(":"));
    h.addData(bytes);
}
} // namespace

CredentialSource CredentialSource::make(const ExecPluginConfig &config, const KubeCluster &cluster,
                                        const QProcessEnvironment &environment)
{
    CredentialSource s{config, cluster, environment, {}};
    QCryptographicHash h(QCryptographicHash::Sha256);
    addField(h, config.command.toUtf8());
    addField(h, QByteArray::number(config.args.size()));
    for (const QString &a : config.args)
        addField(h, a.toUtf8());
    addField(h, QByteArray::number(config.env.size()));
    for (const auto &kv : config.env) {
        addField(h, kv.first.toUtf8());
        addField(h, kv.second.toUtf8());
    }
    addField(h, config.apiVersion.toUtf8());
    addField(h, config.interactiveMode.toUtf8());
    addField(h, config.baseDir.toUtf8());
    // Holds the cluster's server, CA… exactly when the plugin is given them.
    addField(h, ExecCredentialPlugin::execInfo(config, cluster));
    const QProcessEnvironment env
            = environment.isEmpty() ? QProcessEnvironment::systemEnvironment() : environment;
    QStringList names = env.keys();
    names.removeIf(volatileVariable);
    std::sort(names.begin(), names.end());
    addField(h, QByteArray::number(names.size()));
    for (const QString &n : std::as_const(names)) {
        addField(h, n.toUtf8());
        addField(h, env.value(n).toUtf8());
    }
    s.key = h.result();
    return s;
}

CredentialCache::CredentialCache(QObject *parent)
    : QObject(parent)
{}

CredentialCache::~CredentialCache()
{
    for (Entry &e : m_entries)
        delete e.run; // kills a plugin still running; its waiters are gone with the daemon
}

int CredentialCache::running() const
{
    return int(std::count_if(m_entries.cbegin(), m_entries.cend(),
                             [](const Entry &e) { return e.run != nullptr; }));
}

bool CredentialCache::fresh(const Entry &e, const QDateTime &now) const
{
    if (!e.credential)
        return false;
    const QDateTime &exp = e.credential->expiration;
    if (!exp.isValid())
        return true;
    // Renew a little before the server would refuse it, but use a short-lived token a while.
    const qint64 lifetime = std::max<qint64>(0, e.obtained.msecsTo(exp));
    const qint64 margin = std::min(m_marginMs, lifetime / 2);
    return now < exp.addMSecs(-margin);
}

void CredentialCache::get(const CredentialSource &source, QObject *context, Callback callback)
{
    Entry &e = m_entries[source.key];
    if (!e.run && fresh(e, QDateTime::currentDateTimeUtc())) {
        const ExecCredential c = *e.credential; // the callback may change m_entries
        callback(c);
        return;
    }
    e.waiters.append({QPointer<QObject>(context), context != nullptr, std::move(callback)});
    if (!e.run)
        runPlugin(source);
}

void CredentialCache::runPlugin(const CredentialSource &source)
{
    Entry &e = m_entries[source.key];
    e.credential.reset();
    auto *run = new ExecCredentialPlugin(source.config, source.cluster, source.environment, this);
    run->setTimeout(m_timeoutMs);
    e.run = run;
    ++m_runs;
    qCDebug(lcKubeCredentials) << "running an exec plugin"; // nothing from the kubeconfig in logs
    const QByteArray key = source.key;
    run->start([this, key, run](const Result<ExecCredential> &r) { finished(key, run, r); });
}

void CredentialCache::finished(const QByteArray &key, ExecCredentialPlugin *run,
                               const Result<ExecCredential> &result)
{
    run->deleteWhenStopped(); // we may be inside its QProcess's signal
    auto it = m_entries.find(key);
    if (it == m_entries.end() || it->run != run)
        return;
    it->run = nullptr;
    if (result) {
        it->credential = result.value();
        it->obtained = QDateTime::currentDateTimeUtc();
    } else {
        // The error (with the plugin's stderr) goes to the requesters, not to the log: a
        // plugin's output is the user's business.
        qCInfo(lcKubeCredentials) << "an exec plugin run failed";
    }
    // A callback may get() again (a retry): it sees the new state and its own waiter list.
    const QList<Waiter> waiters = std::exchange(it->waiters, {});
    if (!result)
        m_entries.erase(it);
    for (const Waiter &w : waiters)
        if (!w.guarded || w.context)
            w.callback(result);
}

void CredentialCache::reject(const QByteArray &key, const ExecCredential &rejected)
{
    auto it = m_entries.find(key);
    if (it == m_entries.end() || it->run || !it->credential || !it->credential->sameAs(rejected))
        return;
    qCDebug(lcKubeCredentials)
            << "credential rejected (401): the next request runs the plugin again";
    it->credential.reset();
}

} // namespace podtap
