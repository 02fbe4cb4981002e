#include "http2testserver.h"

#include <QTcpSocket>

#include <nghttp2/nghttp2.h>

#include <cstring>

struct Http2TestServer::Connection
{
    Http2TestServer *server = nullptr;
    QTcpSocket *socket = nullptr;
    nghttp2_session *session = nullptr;
    int requests = 0;
    bool goaway = false;
    QHash<int32_t, QByteArray> bodies; // answers being sent, by stream
    QHash<int32_t, Request> incoming;  // requests being received, by stream

    void flush()
    {
        for (;;) {
            const uint8_t *data = nullptr;
            const ssize_t n = nghttp2_session_mem_send(session, &data);
            if (n <= 0)
                break;
            socket->write(reinterpret_cast<const char *>(data), n);
        }
        if (goaway && !nghttp2_session_want_write(session))
            socket->disconnectFromHost();
    }

    static ssize_t read(nghttp2_session *, int32_t, uint8_t *buf, size_t length, uint32_t *flags,
                        nghttp2_data_source *source, void *)
    {
        auto *body = static_cast<QByteArray *>(source->ptr);
        const std::size_t n = std::min(length, std::size_t(body->size()));
        std::memcpy(buf, body->constData(), n);
        body->remove(0, qsizetype(n));
        if (body->isEmpty())
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        return ssize_t(n);
    }

    // A request is whole: answer, reset or say GOAWAY.
    static int frameRecv(nghttp2_session *session, const nghttp2_frame *frame, void *user)
    {
        auto *c = static_cast<Connection *>(user);
        if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
            || !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM) || c->goaway)
            return 0;
        const int32_t id = frame->hd.stream_id;
        const int k = ++c->requests;
        ++c->server->m_requests;
        c->server->m_received.append(c->incoming.take(id));
        if (c->server->m_silentEvery > 0 && k % c->server->m_silentEvery == 0) {
            // no answer
        } else if (c->server->m_resetEvery > 0 && k % c->server->m_resetEvery == 0) {
            ++c->server->m_resets;
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
        } else {
            QByteArray &body = c->bodies[id];
            body = "ok " + QByteArray::number(k) + '\n';
            const nghttp2_nv nv[]
                    = {{(uint8_t *)":status", (uint8_t *)"200", 7, 3, NGHTTP2_NV_FLAG_NONE}};
            nghttp2_data_provider p{};
            p.source.ptr = &body;
            p.read_callback = &Connection::read;
            nghttp2_submit_response(session, id, nv, 1, &p);
        }
        if (c->server->m_goawayAfter > 0 && k == c->server->m_goawayAfter) {
            ++c->server->m_goaways;
            c->goaway = true;
            nghttp2_submit_goaway(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR,
                                  reinterpret_cast<const uint8_t *>("enough"), 6);
        }
        return 0;
    }

    static int streamClose(nghttp2_session *, int32_t id, uint32_t, void *user)
    {
        static_cast<Connection *>(user)->bodies.remove(id);
        static_cast<Connection *>(user)->incoming.remove(id);
        return 0;
    }

    static int header(nghttp2_session *, const nghttp2_frame *frame, const uint8_t *name,
                      size_t namelen, const uint8_t *value, size_t valuelen, uint8_t, void *user)
    {
        static_cast<Connection *>(user)->incoming[frame->hd.stream_id].fields.append(
                {QByteArray(reinterpret_cast<const char *>(name), qsizetype(namelen)),
                 QByteArray(reinterpret_cast<const char *>(value), qsizetype(valuelen))});
        return 0;
    }

    static int data(nghttp2_session *, uint8_t, int32_t id, const uint8_t *bytes, size_t len,
                    void *user)
    {
        static_cast<Connection *>(user)->incoming[id].body.append(
                reinterpret_cast<const char *>(bytes), qsizetype(len));
        return 0;
    }
};

Http2TestServer::Http2TestServer(int resetEvery, int goawayAfter, int silentEvery, QObject *parent)
    : QObject(parent)
    , m_resetEvery(resetEvery)
    , m_goawayAfter(goawayAfter)
    , m_silentEvery(silentEvery)
{
    connect(&m_server, &QTcpServer::newConnection, this, &Http2TestServer::onNewConnection);
}

Http2TestServer::~Http2TestServer()
{
    for (Connection *c : std::as_const(m_connections)) {
        c->socket->disconnect(this);
        nghttp2_session_del(c->session);
        delete c;
    }
}

bool Http2TestServer::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

void Http2TestServer::onNewConnection()
{
    while (QTcpSocket *s = m_server.nextPendingConnection()) {
        auto *c = new Connection;
        c->server = this;
        c->socket = s;
        nghttp2_session_callbacks *cb = nullptr;
        nghttp2_session_callbacks_new(&cb);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &Connection::frameRecv);
        nghttp2_session_callbacks_set_on_stream_close_callback(cb, &Connection::streamClose);
        nghttp2_session_callbacks_set_on_header_callback(cb, &Connection::header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &Connection::data);
        nghttp2_session_server_new(&c->session, cb, c);
        nghttp2_session_callbacks_del(cb);
        const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
        nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, settings, 1);
        m_connections.insert(s, c);
        connect(s, &QTcpSocket::readyRead, this, [c] {
            const QByteArray bytes = c->socket->readAll();
            if (nghttp2_session_mem_recv(c->session,
                                         reinterpret_cast<const uint8_t *>(bytes.constData()),
                                         std::size_t(bytes.size()))
                < 0) {
                c->socket->abort();
                return;
            }
            c->flush();
        });
        connect(s, &QTcpSocket::disconnected, this, [this, s] {
            Connection *c = m_connections.take(s);
            if (!c)
                return;
            nghttp2_session_del(c->session);
            delete c;
            s->deleteLater();
        });
        c->flush();
    }
}
