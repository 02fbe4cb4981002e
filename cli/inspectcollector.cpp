#include "inspectcollector.h"

#include <openssl/evp.h>

#include <algorithm>

namespace podtap {

namespace {
struct DirectionHashes
{
    EVP_MD_CTX *ctx[2] = {nullptr, nullptr};
};
} // namespace

InspectCollector::InspectCollector() = default;
InspectCollector::~InspectCollector() = default;

void InspectCollector::connectionOpened(TcpConnection &c)
{
    auto *h = new DirectionHashes;
    for (auto &ctx : h->ctx) {
        ctx = EVP_MD_CTX_new();
        EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    }
    c.userData = h;
}

void InspectCollector::data(TcpConnection &c, Direction d, const std::uint8_t *bytes,
                            std::size_t size, std::int64_t)
{
    auto *h = static_cast<DirectionHashes *>(c.userData);
    EVP_DigestUpdate(h->ctx[std::size_t(d)], bytes, size);
}

void InspectCollector::connectionRemoved(TcpConnection &c)
{
    auto *h = static_cast<DirectionHashes *>(c.userData);
    Record r;
    r.id = c.id;
    r.client = c.client.toString();
    r.server = c.server.toString();
    r.state = stateName(c.state);
    r.closeReason = closeReasonName(c.closeReason);
    r.midstream = c.midstream;
    r.firstTsNs = c.firstTsNs;
    r.lastTsNs = c.lastTsNs;
    r.handshakeRttNs = c.handshakeRttNs();
    r.stats = c.stats;
    for (int d = 0; d < 2; ++d) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(h->ctx[d], md, &len);
        EVP_MD_CTX_free(h->ctx[d]);
        r.sha256[d] = QByteArray(reinterpret_cast<const char *>(md), int(len)).toHex();
    }
    delete h;
    c.userData = nullptr;
    if (!m_records.empty() && m_records.back().id > r.id)
        m_sorted = false;
    m_records.push_back(std::move(r));
}

const std::vector<InspectCollector::Record> &InspectCollector::records()
{
    if (!m_sorted) {
        std::sort(m_records.begin(), m_records.end(),
                  [](const Record &a, const Record &b) { return a.id < b.id; });
        m_sorted = true;
    }
    return m_records;
}

} // namespace podtap
