#pragma once

#include "objectstore.h"
#include "selector.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

namespace kubesim {

class HttpConnection;

struct WatchOptions
{
    QString resource, ns, kind, apiVersion;
    Selector labels, fields;
    bool bookmarks = false;
    bool table = false;         // events carry meta.k8s.io/v1 Tables (kubectl get -w)
    bool includeObject = false; // Table rows carry the full object
    bool hasRv = false;
    qint64 rv = 0; // 0 = send the current state as ADDED first
    int timeoutSeconds = 0;
    int expireSeconds = 0; // fault knob: end with 410 after this long
};

// One watch stream (§7): chunked JSON events, bookmarks, 410 Expired, timeoutSeconds.
class WatchSession : public QObject
{
    Q_OBJECT
public:
    WatchSession(HttpConnection *connection, ObjectStore *store, WatchOptions options,
                 QObject *parent = nullptr);
    void start();

private:
    void onChanged(const kubesim::WatchEvent &event);
    bool matches(const QJsonObject &object) const;
    void writeEvent(const QString &type, const QJsonObject &object);
    void sendBookmark();
    void finish();
    void expire();

    QPointer<HttpConnection> m_conn;
    ObjectStore *m_store;
    WatchOptions m_opt;
    qint64 m_lastRv = 0;
    bool m_sentColumns = false;
    QTimer m_bookmarkTimer;
    bool m_done = false;
};

} // namespace kubesim
