#pragma once

// Test input for the HTTP/2 decoder: frames around header blocks made by libnghttp2's own
// HPACK deflater (never hand-written HPACK).
#include <QByteArray>
#include <QList>
#include <QPair>

#include <nghttp2/nghttp2.h>

#include <cstdint>

namespace h2test {

using Fields = QList<QPair<QByteArray, QByteArray>>;

inline QByteArray frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                        const QByteArray &payload)
{
    QByteArray f;
    const auto len = std::uint32_t(payload.size());
    f.append(char(len >> 16)).append(char(len >> 8)).append(char(len));
    f.append(char(type)).append(char(flags));
    f.append(char(stream >> 24))
            .append(char(stream >> 16))
            .append(char(stream >> 8))
            .append(char(stream));
    return f + payload;
}

inline QByteArray u32(std::uint32_t v)
{
    QByteArray b;
    b.append(char(v >> 24)).append(char(v >> 16)).append(char(v >> 8)).append(char(v));
    return b;
}

inline QByteArray settings(const QList<QPair<std::uint16_t, std::uint32_t>> &values)
{
    QByteArray p;
    for (const auto &[id, v] : values)
        p.append(char(id >> 8)).append(char(id)).append(u32(v));
    return frame(4, 0, 0, p);
}

inline QByteArray settingsAck()
{
    return frame(4, 1, 0, {});
}

inline QByteArray preface()
{
    return QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
}

// One HPACK encoder per direction, as a real peer has. Its blocks must go on the wire in
// the order they were made: never call it twice in one expression (operands of + are
// unsequenced).
class Deflater
{
public:
    Deflater() { nghttp2_hd_deflate_new(&m_d, 4096); }
    ~Deflater() { nghttp2_hd_deflate_del(m_d); }
    Deflater(const Deflater &) = delete;
    Deflater &operator=(const Deflater &) = delete;

    QByteArray block(const Fields &fields)
    {
        std::vector<nghttp2_nv> nv;
        for (const auto &[n, v] : fields) {
            nv.push_back({reinterpret_cast<std::uint8_t *>(const_cast<char *>(n.constData())),
                          reinterpret_cast<std::uint8_t *>(const_cast<char *>(v.constData())),
                          std::size_t(n.size()), std::size_t(v.size()), NGHTTP2_NV_FLAG_NONE});
        }
        QByteArray out(qsizetype(nghttp2_hd_deflate_bound(m_d, nv.data(), nv.size())), '\0');
        const auto n = nghttp2_hd_deflate_hd(m_d, reinterpret_cast<std::uint8_t *>(out.data()),
                                             std::size_t(out.size()), nv.data(), nv.size());
        out.resize(n < 0 ? 0 : qsizetype(n));
        return out;
    }
    // The encoder learnt SETTINGS_HEADER_TABLE_SIZE: its next block starts with an update.
    void changeTableSize(std::size_t size) { nghttp2_hd_deflate_change_table_size(m_d, size); }

private:
    nghttp2_hd_deflater *m_d = nullptr;
};

inline QByteArray headers(Deflater &d, std::uint32_t stream, const Fields &fields, bool endStream)
{
    return frame(1, std::uint8_t(0x4 | (endStream ? 0x1 : 0)), stream, d.block(fields));
}

inline QByteArray data(std::uint32_t stream, const QByteArray &payload, bool endStream)
{
    return frame(0, endStream ? 0x1 : 0, stream, payload);
}

// A gRPC length-prefixed message (PROTOCOL-HTTP2.md)
inline QByteArray grpcMessage(const QByteArray &payload, bool compressed = false)
{
    return QByteArray(1, compressed ? '\1' : '\0') + u32(std::uint32_t(payload.size())) + payload;
}

} // namespace h2test
