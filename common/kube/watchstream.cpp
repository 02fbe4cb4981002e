#include "watchstream.h"

#include <QJsonDocument>
#include <QNetworkReply>

namespace podtap {

WatchStream::WatchStream(KubeApiClient *api, const QString &path, const QUrlQuery &query,
                         QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_path(path)
    , m_query(query) // QUrlQuery has no move constructor before Qt 6.5
{
    m_query.removeAllQueryItems(QStringLiteral("watch"));
    m_query.addQueryItem(QStringLiteral("watch"), QStringLiteral("true"));
}

WatchStream::~WatchStream()
{
    stop();
}

void WatchStream::stop()
{
    ++m_generation; // also drops a start() still waiting for an exec credential
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
    }
}

void WatchStream::start()
{
    const quint64 generation = ++m_generation;
    m_api->prepare(m_path, m_query, this, [this, generation](const Result<QNetworkRequest> &req) {
        if (generation != m_generation)
            return; // stopped or restarted meanwhile
        if (!req) {
            Q_EMIT failed(req.error());
            return;
        }
        open(req.value());
    });
}

void WatchStream::open(const QNetworkRequest &request)
{
    m_reply = m_api->network()->get(request);
    QNetworkReply *reply = m_reply;
    connect(reply, &QNetworkReply::readyRead, this, [this, reply] {
        const int code = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (code != 200)
            return; // the error body is read in finished()
        for (const QByteArray &obj : m_stream.feed(reply->readAll())) {
            const QJsonObject e = QJsonDocument::fromJson(obj).object();
            const QString type = e.value(QLatin1String("type")).toString();
            const QJsonObject object = e.value(QLatin1String("object")).toObject();
            if (type == QLatin1String("ERROR")) {
                const KubeStatus s = KubeStatus::fromJson(object);
                if (s.httpCode == 410)
                    Q_EMIT expired(s.message);
                else
                    Q_EMIT failed(s.explain());
                stop();
                return;
            }
            Q_EMIT event(type, object);
        }
        if (m_stream.failed()) {
            Q_EMIT failed(
                    QStringLiteral("the watch stream is malformed: %1").arg(m_stream.error()));
            stop();
        }
    });
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        const int code = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (code == 410) {
            Q_EMIT expired(KubeStatus::fromBody(code, reply->readAll()).message);
        } else if (code != 200) {
            const KubeStatus s = KubeStatus::fromBody(code, reply->readAll());
            Q_EMIT failed(code == 0 ? reply->errorString() : s.explain());
        } else {
            Q_EMIT ended();
        }
    });
}

} // namespace podtap
