#pragma once

#include "result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QString>

namespace podtap {

// How much of the capture store is kept: a total quota in bytes and a maximum age of a stopped
// session (0 = no limit). Shared by podtapd (enforces it), the CLI, the GUI and .podtap.yaml
// (which parse and show it): sizes and durations are written with units, "2G", "500M", "7d",
// "90m"; anything else is refused with a message, never read as 0.
class RetentionPolicy
{
public:
    static constexpr qint64 DefaultQuotaBytes = qint64(2) << 30; // 2 GiB
    static constexpr qint64 DefaultMaxAgeSecs = 7 * 24 * 3600;   // 7 days

    qint64 quotaBytes = DefaultQuotaBytes;
    qint64 maxAgeSecs = DefaultMaxAgeSecs;

    // Units::parseSize ("10G", "512M", "1.5G", "800K", "123" bytes; K/M/G/T powers of 1024,
    // "10GiB" and "10GB" too), or "0"/"off" (no quota).
    static Result<qint64> parseSize(const QString &text);
    // Seconds from Units::parseDuration ("7d", "12h", "5m", "30s", "2w", "1h30m"), or
    // "0"/"off" (no limit). A bare number is refused: minutes and months are both "m"
    // elsewhere, so the unit is always written.
    static Result<qint64> parseDuration(const QString &text);
    static QString sizeText(qint64 bytes);    // "2G", "1.5G", "300M", "off"
    static QString usageText(qint64 bytes);   // "1.5G", "300M", "0"
    static QString durationText(qint64 secs); // "7d", "90m", "off"

    QJsonObject toJson() const; // {"quotaBytes", "maxAgeSecs", "quota": "2G", "maxAge": "7d"}
    // Accepts the numbers or the texts ("quota": "10G", "maxAge": "3d"); missing keys keep
    // this policy's values.
    Result<RetentionPolicy> updated(const QJsonObject &json) const;

    // A stored session as the store lists it (id, state, started, ended, diskBytes).
    struct Candidate
    {
        QString id;
        QDateTime ended; // invalid for a running session
        QDateTime started;
        qint64 diskBytes = 0;
        bool running = false;
    };
    struct Removal
    {
        QString id;
        QString reason; // "older than 7d", "store over its 2G quota"
        qint64 diskBytes = 0;
    };
    // Which sessions to remove, oldest first: every stopped session that ended more than
    // maxAge ago, then the oldest stopped ones until the store fits its quota. Running sessions
    // are never chosen, and count towards the quota.
    QList<Removal> select(QList<Candidate> sessions, const QDateTime &now) const;
};

} // namespace podtap
