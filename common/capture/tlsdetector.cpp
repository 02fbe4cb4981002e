#include "tlsdetector.h"

#include "bytereader.h"

#include <algorithm>

namespace podtap {

namespace {
constexpr std::uint8_t ChangeCipherSpec = 20, Handshake = 22, ApplicationData = 23;
constexpr std::uint8_t ClientHello = 1;
constexpr std::uint16_t ServerNameExtension = 0; // RFC 6066 3

// "GET ", "POST", "*1\r\n"…: text cannot start a record (types 20–23), so a joined stream of
// text need not wait for two records.
bool printableStart(const std::uint8_t *p, std::size_t n)
{
    for (std::size_t i = 0; i < n && i < 4; ++i)
        if ((p[i] < 0x20 || p[i] > 0x7e) && p[i] != '\r' && p[i] != '\n' && p[i] != '\t')
            return false;
    return n >= 4;
}
} // namespace

TlsDetector::TlsDetector(bool midstream)
    : m_midstream(midstream)
{}

bool TlsDetector::recordHeader(const std::uint8_t *p, std::size_t *length)
{
    const std::uint8_t type = p[0];
    if (type < ChangeCipherSpec || type > ApplicationData)
        return false;
    if (p[1] != 3 || p[2] < 1 || p[2] > 4)
        return false;
    const std::size_t len = std::size_t(p[3]) << 8 | p[4];
    if (len == 0 || len > MaxRecord)
        return false;
    if (length)
        *length = len;
    return true;
}

void TlsDetector::giveUp()
{
    if (m_verdict == Verdict::Undecided) {
        m_verdict = Verdict::NotTls;
        m_buf = QByteArray();
    }
}

TlsDetector::Verdict TlsDetector::feed(const std::uint8_t *bytes, std::size_t size)
{
    if (m_verdict == Verdict::NotTls || (m_verdict == Verdict::Tls && !wantsMore()))
        return m_verdict;
    const std::size_t room = MidstreamWindow - std::size_t(m_buf.size());
    m_buf.append(reinterpret_cast<const char *>(bytes), qsizetype(std::min(size, room)));
    if (m_verdict == Verdict::Undecided) {
        decide();
        if (m_verdict == Verdict::Undecided && m_midstream)
            decideMidstream();
        if (m_verdict == Verdict::Undecided && std::size_t(m_buf.size()) >= MidstreamWindow)
            m_verdict = Verdict::NotTls; // no two records in a row: not TLS
    }
    if (m_verdict == Verdict::NotTls || (m_verdict == Verdict::Tls && !m_clientHello)) {
        m_buf = QByteArray();
    } else if (m_verdict == Verdict::Tls) {
        // Waiting for the whole ClientHello record for its server name, then done.
        std::size_t len = 0;
        recordHeader(reinterpret_cast<const std::uint8_t *>(m_buf.constData()), &len);
        if (std::size_t(m_buf.size()) >= 5 + len) {
            readServerName(len);
            m_buf = QByteArray();
        }
    }
    return m_verdict;
}

void TlsDetector::decide()
{
    const auto *p = reinterpret_cast<const std::uint8_t *>(m_buf.constData());
    const std::size_t n = std::size_t(m_buf.size());
    // Decide as soon as a byte disagrees, so a plain stream is never held back.
    if (n >= 1 && (p[0] < ChangeCipherSpec || p[0] > ApplicationData)) {
        if (!m_midstream || printableStart(p, n))
            m_verdict = Verdict::NotTls;
        return;
    }
    if (n < 5)
        return;
    std::size_t len = 0;
    if (!recordHeader(p, &len)) {
        if (!m_midstream)
            m_verdict = Verdict::NotTls;
        return;
    }
    if (p[0] == Handshake) {
        if (n < 6)
            return;
        if (p[5] == ClientHello) {
            m_clientHello = true;
            m_verdict = Verdict::Tls;
            return;
        }
        // Another handshake message first: only a joined stream starts like that.
        if (!m_midstream)
            m_verdict = Verdict::NotTls;
        else
            m_verdict = Verdict::Tls;
        return;
    }
    // application_data, alert or change_cipher_spec at the very start of the bytes we have:
    // a TLS stream whose handshake was not captured.
    m_verdict = Verdict::Tls;
}

void TlsDetector::decideMidstream()
{
    // The first byte may be inside a record: look for a header whose record is followed by
    // another header.
    const auto *p = reinterpret_cast<const std::uint8_t *>(m_buf.constData());
    const std::size_t n = std::size_t(m_buf.size());
    for (std::size_t i = 0; i + 5 <= n && i <= MaxRecord + 5; ++i) {
        std::size_t len = 0;
        if (!recordHeader(p + i, &len))
            continue;
        const std::size_t next = i + 5 + len;
        if (next + 5 > n)
            continue; // not enough bytes yet to confirm this one
        if (recordHeader(p + next)) {
            m_verdict = Verdict::Tls;
            return;
        }
    }
}

void TlsDetector::readServerName(std::size_t recordLength)
{
    // ClientHello (RFC 8446 4.1.2): type(1) length(3) legacy_version(2) random(32)
    // session_id<0..32> cipher_suites<2..2^16-2> compression<1..2^8-1> extensions<8..2^16-1>.
    const ByteReader r(reinterpret_cast<const std::uint8_t *>(m_buf.constData()) + 5, recordLength);
    std::size_t off = 4 + 2 + 32;
    std::uint8_t u8 = 0;
    std::uint16_t u16 = 0;
    if (!r.u8(off, u8))
        return;
    off += 1 + u8;
    if (!r.u16(off, u16))
        return;
    off += 2 + u16;
    if (!r.u8(off, u8))
        return;
    off += 1 + u8;
    if (!r.u16(off, u16))
        return;
    const std::size_t end = off + 2 + u16;
    off += 2;
    while (off + 4 <= end) {
        std::uint16_t type = 0, len = 0;
        if (!r.u16(off, type) || !r.u16(off + 2, len) || !r.has(off + 4, len))
            return;
        if (type == ServerNameExtension) {
            // server_name_list<1..2^16-1>: name_type(1) = host_name(0), HostName<1..2^16-1>
            std::uint16_t listLen = 0, nameLen = 0;
            std::uint8_t nameType = 0;
            if (len >= 5 && r.u16(off + 4, listLen) && r.u8(off + 6, nameType) && nameType == 0
                && r.u16(off + 7, nameLen) && nameLen > 0 && 5u + nameLen <= len
                && r.has(off + 9, nameLen))
                m_serverName = QString::fromLatin1(m_buf.constData() + 5 + off + 9, nameLen);
            return;
        }
        off += 4 + len;
    }
}

} // namespace podtap
