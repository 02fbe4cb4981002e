#pragma once

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <cstdint>

namespace podtap {

// Tells, from the first bytes of a captured client→server stream, whether it is TLS (RFC 8446
// 5.1, RFC 5246 6.2.1): a ClientHello record at the start (type 22, version 3.1–3.4, handshake
// type 1), or, for a stream joined mid-way, TLS records (change_cipher_spec, alert, handshake,
// application_data). A service-mesh sidecar takes such connections on eth0; their bytes are
// never mirrored. Incremental: feed the stream's bytes in any segmentation until a verdict.
class TlsDetector
{
public:
    enum class Verdict : std::uint8_t { Undecided, Tls, NotTls };

    // `midstream`: the stream's start was not captured, so its first byte may be inside a
    // record: then two consecutive valid record headers anywhere in the first bytes decide.
    explicit TlsDetector(bool midstream = false);

    Verdict feed(const std::uint8_t *bytes, std::size_t size);
    Verdict verdict() const { return m_verdict; }
    // The bytes so far cannot tell and no more will come in order (a gap, the end): NotTls.
    void giveUp();
    bool sawClientHello() const { return m_clientHello; }
    // The ClientHello's server_name (RFC 6066 3), once its whole record was fed; else empty.
    const QString &serverName() const { return m_serverName; }
    // TLS, and the ClientHello record is not whole yet (for serverName()).
    bool wantsMore() const { return m_verdict == Verdict::Tls && !m_buf.isEmpty(); }
    // The bytes fed while undecided are kept (at most this many) and dropped on a verdict.
    static constexpr std::size_t MaxRecord = 16384 + 2048; // TLSCiphertext.length limit
    static constexpr std::size_t MidstreamWindow = 2 * (MaxRecord + 5);

    // A plausible TLS record header at `p` (5 bytes): type 20–23, version 3.1–3.4, length.
    static bool recordHeader(const std::uint8_t *p, std::size_t *length = nullptr);

private:
    void decide();
    void decideMidstream();
    void readServerName(std::size_t recordLength);

    bool m_midstream = false;
    bool m_clientHello = false;
    Verdict m_verdict = Verdict::Undecided;
    QByteArray m_buf; // the stream's first bytes, while needed
    QString m_serverName;
};

} // namespace podtap
