#pragma once

#include "sockaddress.h"

namespace trafficgen {

struct TlsProxyOptions
{
    SockAddress listen;
    SockAddress forward;
    int ioTimeoutSec = 300; // a connection idle this long is closed
};

// A service-mesh sidecar in miniature (Istio's/Linkerd's inbound proxy): accepts TLS on
// `listen` with a self-signed certificate made in memory at start (nothing on disk), and
// forwards the plaintext of each connection over its own TCP connection to `forward` (the app,
// normally on 127.0.0.1). Both directions are copied as they come; a FIN or close_notify on
// either side is passed on as a FIN. One thread per connection, until SIGTERM.
class TlsProxy
{
public:
    explicit TlsProxy(TlsProxyOptions options);
    int run();

private:
    void serve(int fd);

    TlsProxyOptions m_options;
    void *m_ctx = nullptr; // SSL_CTX (kept out of the header: no OpenSSL includes here)
};

} // namespace trafficgen
