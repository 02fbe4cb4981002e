#include "tlsproxy.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace trafficgen {

namespace {

// A P-256 key and a self-signed certificate valid for a day, built in memory.
SSL_CTX *makeContext()
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    if (!key || !cert)
        return nullptr;
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>("podtap-sidecar"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, key);
    SSL_CTX *ctx = nullptr;
    if (X509_sign(cert, key, EVP_sha256()) > 0) {
        ctx = SSL_CTX_new(TLS_server_method());
        if (ctx
            && (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1)) {
            SSL_CTX_free(ctx);
            ctx = nullptr;
        }
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return ctx;
}

bool sendRaw(int fd, const char *p, std::size_t n)
{
    while (n > 0) {
        const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= std::size_t(w);
    }
    return true;
}

} // namespace

TlsProxy::TlsProxy(TlsProxyOptions options)
    : m_options(options)
{}

int TlsProxy::run()
{
    m_ctx = makeContext();
    if (!m_ctx) {
        std::fprintf(stderr, "tls-proxy: cannot make the TLS certificate: %s\n",
                     ERR_error_string(ERR_get_error(), nullptr));
        return 1;
    }
    const int fd = ::socket(m_options.listen.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        std::perror("tls-proxy: socket");
        return 1;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, m_options.listen.sa(), m_options.listen.length()) != 0) {
        std::fprintf(stderr, "tls-proxy: bind %s: %s\n", m_options.listen.toString().c_str(),
                     strerror(errno));
        return 1;
    }
    if (::listen(fd, 1024) != 0) {
        std::perror("tls-proxy: listen");
        return 1;
    }
    std::printf("listening %s\n", SockAddress::localOf(fd).toString().c_str());
    std::fflush(stdout);
    for (;;) {
        const int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
                if (errno == EMFILE || errno == ENFILE)
                    usleep(10000);
                continue;
            }
            std::perror("tls-proxy: accept");
            return 1;
        }
        std::thread([this, c] { serve(c); }).detach();
    }
}

void TlsProxy::serve(int fd)
{
    timeval tv{m_options.ioTimeoutSec, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    SSL *ssl = SSL_new(static_cast<SSL_CTX *>(m_ctx));
    SSL_set_fd(ssl, fd);
    int up = -1;
    if (SSL_accept(ssl) == 1) {
        up = ::socket(m_options.forward.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (up >= 0 && ::connect(up, m_options.forward.sa(), m_options.forward.length()) != 0) {
            std::fprintf(stderr, "tls-proxy: connect %s: %s\n",
                         m_options.forward.toString().c_str(), strerror(errno));
            ::close(up);
            up = -1;
        }
    }
    if (up >= 0) {
        const int one = 1;
        setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        char buf[16384];
        bool clientOpen = true, appOpen = true;
        while (clientOpen || appOpen) {
            // A side that ended is not polled: its EOF would wake poll() at once, forever.
            pollfd p[2] = {{clientOpen ? fd : -1, POLLIN, 0}, {appOpen ? up : -1, POLLIN, 0}};
            // Decrypted bytes OpenSSL already holds are not visible to poll().
            const bool pending = clientOpen && SSL_pending(ssl) > 0;
            const int r = ::poll(p, 2, pending ? 0 : m_options.ioTimeoutSec * 1000);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 || (r == 0 && !pending))
                break; // idle too long
            if (clientOpen && (pending || (p[0].revents & (POLLIN | POLLHUP | POLLERR)))) {
                const int n = SSL_read(ssl, buf, sizeof(buf));
                if (n > 0) {
                    if (!sendRaw(up, buf, std::size_t(n)))
                        break;
                } else if (SSL_get_error(ssl, n) == SSL_ERROR_WANT_READ) {
                    // a record not yet whole, or a post-handshake message: wait for more
                } else {
                    clientOpen = false; // close_notify, FIN or error: pass the end on
                    ::shutdown(up, SHUT_WR);
                    if (!appOpen)
                        break;
                }
            }
            if (appOpen && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                const ssize_t n = ::recv(up, buf, sizeof(buf), 0);
                if (n > 0) {
                    if (SSL_write(ssl, buf, int(n)) <= 0)
                        break;
                } else if (n < 0 && errno == EINTR) {
                    continue;
                } else {
                    appOpen = false;
                    SSL_shutdown(ssl); // close_notify, then FIN
                    ::shutdown(fd, SHUT_WR);
                    if (!clientOpen)
                        break;
                }
            }
        }
        ::close(up);
    }
    SSL_free(ssl);
    ::close(fd);
}

} // namespace trafficgen
