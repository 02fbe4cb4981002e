#pragma once

#include <QJsonArray>
#include <QString>

// A stored podtapd session made from real traffic, for the tests of `podtap requests` and the
// GUI's Requests tab: in two network namespaces (NetnsLab), real tcpdump captures
//   - a Python gRPC server (h2/grpc_server.py, "the pod") and a second one answering as a local
//     build that differs on purpose (grpc_server.py … local: SayHello("podtap") has another
//     detail.serial, Fail answers OK instead of NOT_FOUND), both called by h2/grpc_client.py
//     (unary, gzip-compressed unary, server streaming, failing call), and
//   - python3 -m http.server asked by curl for three HTTP/1.x paths (one 404).
// The capture goes through the capture engine into HttpSink with HTTP/2 decoding on; each
// exchange of the pod and HTTP servers is written as podtapd writes it
// (PodTapPipeline::exchangeJson) with the real SessionSpool, and each pod call is compared
// with the local server's answer to the same call by the real ShadowComparator, its verdict
// stored as ShadowCompare stores it. Needs root, tcpdump, curl, python3-grpcio/-grpc-tools.
class GrpcShadowSession
{
public:
    // Why the traffic cannot be made here (not root, a tool missing), or empty.
    static QString unavailable();
    // Writes session `id` into the store folder `store` (podtapd's --store); `work` holds the
    // stubs and the capture. False and `error` when something did not run as it must.
    bool create(const QString &store, const QString &id, const QString &work, QString *error);

    // What was stored, in the order written (http.jsonl, compare.jsonl).
    QJsonArray exchanges;
    QJsonArray verdicts;
};
