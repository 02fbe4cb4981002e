#include "watchsession.h"

#include "apistatus.h"
#include "httpconnection.h"
#include "tableconverter.h"

#include <QJsonDocument>

namespace kubesim {

WatchSession::WatchSession(HttpConnection *connection, ObjectStore *store, WatchOptions options,
                           QObject *parent)
    : QObject(parent)
    , m_conn(connection)
    , m_store(store)
    , m_opt(std::move(options))
{
    connect(connection, &HttpConnection::closed, this, [this] {
        m_done = true;
        deleteLater();
    });
}

void WatchSession::start()
{
    m_conn->startChunked(200, "application/json");
    m_lastRv = m_store->currentRv();
    if (m_opt.hasRv && m_opt.rv != 0 && m_opt.rv < m_store->oldestRetained()) {
        writeEvent(QStringLiteral("ERROR"),
                   ApiStatus::expired(QStringLiteral("too old resource version: %1 (%2)")
                                              .arg(m_opt.rv)
                                              .arg(m_store->oldestRetained())));
        finish();
        return;
    }
    if (!m_opt.hasRv || m_opt.rv == 0) {
        const QList<QJsonObject> objects = m_store->list(m_opt.resource, m_opt.ns);
        for (const auto &o : objects)
            if (matches(o))
                writeEvent(QStringLiteral("ADDED"), o);
    } else {
        const QList<WatchEvent> events = m_store->eventsSince(m_opt.resource, m_opt.rv);
        for (const auto &e : events)
            onChanged(e);
    }
    connect(m_store, &ObjectStore::changed, this, &WatchSession::onChanged);
    if (m_opt.timeoutSeconds > 0)
        QTimer::singleShot(m_opt.timeoutSeconds * 1000, this, [this] {
            if (m_opt.bookmarks)
                sendBookmark();
            finish();
        });
    if (m_opt.expireSeconds > 0)
        QTimer::singleShot(m_opt.expireSeconds * 1000, this, &WatchSession::expire);
    if (m_opt.bookmarks) {
        connect(&m_bookmarkTimer, &QTimer::timeout, this, &WatchSession::sendBookmark);
        m_bookmarkTimer.start(10000);
    }
}

bool WatchSession::matches(const QJsonObject &object) const
{
    if (!m_opt.ns.isEmpty()
        && object.value(QStringLiteral("metadata")).toObject().value(QStringLiteral("namespace"))
                   != m_opt.ns)
        return false;
    return m_opt.labels.matchesLabels(object) && m_opt.fields.matchesFields(object);
}

void WatchSession::onChanged(const WatchEvent &event)
{
    if (m_done || event.resource != m_opt.resource)
        return;
    if (matches(event.object))
        writeEvent(event.type, event.object);
    m_lastRv = qMax(m_lastRv, event.rv);
}

void WatchSession::writeEvent(const QString &type, const QJsonObject &object)
{
    if (!m_conn)
        return;
    QJsonObject payload = object;
    if (m_opt.table && type != QLatin1String("ERROR") && type != QLatin1String("BOOKMARK")) {
        // Column definitions only on the first event, as the apiserver's watch encoder does.
        payload = TableConverter::table(m_opt.resource, {object},
                                        object.value(QStringLiteral("metadata"))
                                                .toObject()
                                                .value(QStringLiteral("resourceVersion"))
                                                .toString(),
                                        m_opt.includeObject, !m_sentColumns);
        m_sentColumns = true;
    }
    const QJsonObject ev{{QStringLiteral("type"), type}, {QStringLiteral("object"), payload}};
    m_conn->writeChunk(QJsonDocument(ev).toJson(QJsonDocument::Compact) + '\n');
}

void WatchSession::sendBookmark()
{
    writeEvent(
            QStringLiteral("BOOKMARK"),
            {{QStringLiteral("kind"), m_opt.kind},
             {QStringLiteral("apiVersion"), m_opt.apiVersion},
             {QStringLiteral("metadata"), QJsonObject{{QStringLiteral("resourceVersion"),
                                                       QString::number(m_store->currentRv())}}}});
}

void WatchSession::expire()
{
    if (m_done)
        return;
    m_store->compact();
    writeEvent(QStringLiteral("ERROR"),
               ApiStatus::expired(QStringLiteral("too old resource version: %1 (%2)")
                                          .arg(m_lastRv)
                                          .arg(m_store->oldestRetained() + 1)));
    finish();
}

void WatchSession::finish()
{
    if (m_done)
        return;
    m_done = true;
    m_bookmarkTimer.stop();
    if (m_conn)
        m_conn->endChunked();
    deleteLater();
}

} // namespace kubesim
