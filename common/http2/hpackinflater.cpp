#include "hpackinflater.h"

#include <nghttp2/nghttp2.h>

namespace podtap {

HpackInflater::HpackInflater()
{
    if (nghttp2_hd_inflate_new(&m_inflater) != 0) {
        m_inflater = nullptr;
        m_error = QStringLiteral("the HPACK inflater could not be created (out of memory)");
    }
}

HpackInflater::~HpackInflater()
{
    if (m_inflater)
        nghttp2_hd_inflate_del(m_inflater);
}

bool HpackInflater::feed(const std::uint8_t *data, std::size_t size, bool last,
                         std::vector<Field> &out)
{
    return feed(data, size, last, [&out](QByteArrayView name, QByteArrayView value) {
        out.push_back({name.toByteArray(), value.toByteArray()});
    });
}

bool HpackInflater::feed(const std::uint8_t *data, std::size_t size, bool last, const FieldFn &emit)
{
    if (!isValid())
        return false;
    // nghttp2.h's loop for nghttp2_hd_inflate_hd2: it returns after each field, so call it
    // until the input is used up (and, for the last piece, until FINAL).
    for (;;) {
        nghttp2_nv nv;
        int flags = 0;
        const auto rv = nghttp2_hd_inflate_hd2(m_inflater, &nv, &flags, data, size, last ? 1 : 0);
        if (rv < 0) {
            m_error = QStringLiteral("HPACK decoding failed: %1")
                              .arg(QString::fromLatin1(nghttp2_strerror(int(rv))));
            return false;
        }
        data += rv;
        size -= std::size_t(rv);
        if (flags & NGHTTP2_HD_INFLATE_EMIT) {
            emit(QByteArrayView(reinterpret_cast<const char *>(nv.name), qsizetype(nv.namelen)),
                 QByteArrayView(reinterpret_cast<const char *>(nv.value), qsizetype(nv.valuelen)));
        }
        if (flags & NGHTTP2_HD_INFLATE_FINAL) {
            nghttp2_hd_inflate_end_headers(m_inflater);
            return true;
        }
        if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && size == 0) {
            if (last) {
                m_error = QStringLiteral(
                        "HPACK decoding failed: the header block ends inside a field");
                return false;
            }
            return true;
        }
    }
}

bool HpackInflater::changeTableSize(std::size_t maxBytes)
{
    if (!isValid())
        return false;
    const int rv = nghttp2_hd_inflate_change_table_size(m_inflater, maxBytes);
    if (rv != 0) {
        m_error = QStringLiteral("HPACK table size change failed: %1")
                          .arg(QString::fromLatin1(nghttp2_strerror(rv)));
        return false;
    }
    return true;
}

std::size_t HpackInflater::dynamicTableSize() const
{
    return m_inflater ? nghttp2_hd_inflate_get_dynamic_table_size(m_inflater) : 0;
}

} // namespace podtap
