#include "storeretention.h"

#include "storeio.h"
#include "storelog.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonParseError>

namespace podtap {

namespace {
constexpr int DefaultIntervalMs = 5 * 60 * 1000;
}

StoreRetention::StoreRetention(CaptureStore *store, std::function<QSet<QString>()> running,
                               QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_running(std::move(running))
    , m_clock([] { return QDateTime::currentDateTimeUtc(); })
{
    m_timer.setInterval(DefaultIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, [this] { enforce(); });
}

QString StoreRetention::policyFile() const
{
    return m_store->root() + QStringLiteral("/retention.json");
}

Result<bool> StoreRetention::load(const QJsonObject &overrides)
{
    RetentionPolicy p;
    QFile f(policyFile());
    if (f.open(QIODevice::ReadOnly)) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &error);
        const auto saved = doc.isObject() ? p.updated(doc.object())
                                          : Result<RetentionPolicy>::failure(error.errorString());
        if (saved)
            p = saved.value();
        else
            // A damaged file must not stop the daemon: the defaults apply, and it says so.
            qCWarning(lcStore).noquote() << policyFile() << "ignored:" << saved.error()
                                         << "- using the default retention";
    }
    const auto withOverrides = p.updated(overrides);
    if (!withOverrides)
        return Result<bool>::failure(withOverrides.error());
    m_policy = withOverrides.value();
    qCInfo(lcStore).noquote() << "store retention: quota"
                              << RetentionPolicy::sizeText(m_policy.quotaBytes) << "max age"
                              << RetentionPolicy::durationText(m_policy.maxAgeSecs);
    return true;
}

Result<bool> StoreRetention::setPolicy(const RetentionPolicy &policy)
{
    QString error;
    const QJsonObject json{{QStringLiteral("quotaBytes"), policy.quotaBytes},
                           {QStringLiteral("maxAgeSecs"), policy.maxAgeSecs}};
    if (!StoreIo::writeFileAtomically(policyFile(), QJsonDocument(json).toJson(), true, &error))
        return Result<bool>::failure(error);
    m_policy = policy;
    qCInfo(lcStore).noquote() << "store retention set: quota"
                              << RetentionPolicy::sizeText(policy.quotaBytes) << "max age"
                              << RetentionPolicy::durationText(policy.maxAgeSecs);
    return true;
}

QList<RetentionPolicy::Removal> StoreRetention::enforce()
{
    if (m_policy.quotaBytes <= 0 && m_policy.maxAgeSecs <= 0)
        return {};
    const QSet<QString> running = m_running ? m_running() : QSet<QString>{};
    QList<RetentionPolicy::Candidate> candidates;
    for (const QJsonObject &m : m_store->list(running)) {
        RetentionPolicy::Candidate c;
        c.id = m.value(QLatin1String("id")).toString();
        c.started = QDateTime::fromString(m.value(QLatin1String("started")).toString(),
                                          Qt::ISODateWithMs);
        c.ended = QDateTime::fromString(m.value(QLatin1String("ended")).toString(),
                                        Qt::ISODateWithMs);
        c.diskBytes = m.value(QLatin1String("diskBytes")).toInteger();
        // A running session, or one whose meta cannot be read (it may be being created), is
        // never removed by retention; `podtap rm` can remove a damaged one.
        c.running = running.contains(c.id)
                    || m.value(QLatin1String("state")).toString() == QLatin1String("damaged")
                    || (!c.ended.isValid() && !c.started.isValid());
        candidates << c;
    }
    QList<RetentionPolicy::Removal> done;
    for (const RetentionPolicy::Removal &r : m_policy.select(candidates, m_clock())) {
        const auto removedOk = m_store->remove(r.id);
        if (!removedOk) {
            qCWarning(lcStore).noquote()
                    << "retention could not remove session" << r.id << ":" << removedOk.error();
            continue;
        }
        qCInfo(lcStore).noquote() << QStringLiteral("removed stored session %1 (%2 bytes): %3")
                                             .arg(r.id)
                                             .arg(r.diskBytes)
                                             .arg(r.reason);
        done << r;
        Q_EMIT removed(r.id, r.reason, r.diskBytes);
    }
    return done;
}

} // namespace podtap
