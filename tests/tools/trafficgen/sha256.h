#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <string>

namespace trafficgen {

// Incremental SHA-256 that also counts bytes; hexPeek() hashes a copy so it can be
// called on a live stream (e.g. when SIGTERM arrives mid-connection).
class Sha256
{
public:
    Sha256()
        : m_ctx(EVP_MD_CTX_new())
    {
        EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr);
    }
    ~Sha256() { EVP_MD_CTX_free(m_ctx); }
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void update(const void *data, std::size_t n)
    {
        if (n == 0)
            return;
        EVP_DigestUpdate(m_ctx, data, n);
        m_bytes += n;
    }
    std::uint64_t bytes() const { return m_bytes; }
    std::string hexPeek() const
    {
        EVP_MD_CTX *copy = EVP_MD_CTX_new();
        EVP_MD_CTX_copy_ex(copy, m_ctx);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(copy, md, &len);
        EVP_MD_CTX_free(copy);
        static const char digits[] = "0123456789abcdef";
        std::string hex;
        hex.reserve(len * 2);
        for (unsigned int i = 0; i < len; ++i) {
            hex.push_back(digits[md[i] >> 4]);
            hex.push_back(digits[md[i] & 15]);
        }
        return hex;
    }

private:
    EVP_MD_CTX *m_ctx;
    std::uint64_t m_bytes = 0;
};

} // namespace trafficgen
