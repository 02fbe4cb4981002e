#pragma once

#include <QStringList>

namespace kubesim {

// `podtap-kubesim exec-credential --token T [--ttl SECONDS] [--api-version V] [--sleep-ms MS]
// [--runs-file FILE]`: a client-go exec credential plugin. It reads KUBERNETES_EXEC_INFO,
// answers with the same apiVersion (or --api-version to test the mismatch error) and, with
// --ttl, a token that the server stops accepting after that many seconds, together with its
// expirationTimestamp. --sleep-ms makes it as slow as `aws eks get-token` on a bad day (the
// daemon must not wait for it); --runs-file appends a line per run so tests count runs.
class ExecCredentialPlugin
{
public:
    static int run(const QStringList &args);
};

} // namespace kubesim
