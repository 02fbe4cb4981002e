#pragma once

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

struct nghttp2_hd_inflater;

namespace podtap {

// HPACK (RFC 7541) decoding of one direction's header blocks through libnghttp2's inflater
// (nghttp2_hd_inflate_hd2). The dynamic table is the state shared by every block of that
// direction: a block that is skipped or lost leaves it wrong for good, so any error stops it.
class HpackInflater
{
public:
    struct Field
    {
        QByteArray name;
        QByteArray value;
    };

    HpackInflater();
    ~HpackInflater();
    HpackInflater(const HpackInflater &) = delete;
    HpackInflater &operator=(const HpackInflater &) = delete;

    bool isValid() const { return m_inflater != nullptr && m_error.isEmpty(); }
    const QString &error() const { return m_error; }

    // One piece of a header block (a HEADERS, PUSH_PROMISE or CONTINUATION fragment);
    // `last` when it is the block's final piece (END_HEADERS). Decoded fields are appended to
    // `out`. False on a decoding error (error() says which); the inflater is then unusable.
    bool feed(const std::uint8_t *data, std::size_t size, bool last, std::vector<Field> &out);
    // The same, each field handed to `emit` as views valid only during the call (no copy).
    using FieldFn = std::function<void(QByteArrayView name, QByteArrayView value)>;
    bool feed(const std::uint8_t *data, std::size_t size, bool last, const FieldFn &emit);
    // SETTINGS_HEADER_TABLE_SIZE acknowledged by the decoding side (RFC 7541 4.2): the
    // largest dynamic table the peer's encoder may use from now on.
    bool changeTableSize(std::size_t maxBytes);
    std::size_t dynamicTableSize() const;

private:
    nghttp2_hd_inflater *m_inflater = nullptr;
    QString m_error;
};

} // namespace podtap
