#pragma once

#include <QJsonObject>
#include <QString>

namespace podtap {

// The mirror's HTTP/1.x request accounting in words, for the CLI and the GUI alike. Reads
// MirrorSink::Stats::toJson() (a session's "mirror" object: requestsSeen, requestsMirrored,
// requestsLost, requestsLostAtLeast, bytesLost, resyncs, freshConnections) or one
// connection's RequestFramer::Counts::toJson() (seen, mirrored, lost, lostAtLeast, bytesLost,
// resyncs). Empty when no request was seen.
class MirrorRequestsText
{
public:
    // "39,998 HTTP requests: 39,990 mirrored, at least 8 lost to capture gaps (12,345 bytes),
    // 6 resyncs, 2 fresh local connections"
    static QString session(const QJsonObject &mirror);
    // "118 of 120 requests, ≥2 lost"
    static QString connectionShort(const QJsonObject &requests);
    // "120 requests seen, 118 mirrored, at least 2 lost to capture gaps (4,210 bytes), 1 resync"
    static QString connectionLong(const QJsonObject &requests);
    // TLS connections a session left out (a service-mesh sidecar's inbound hop), from the
    // "mirror" object's tlsNotMirrored and localHops: "3 TLS connections not mirrored; the
    // plaintext hop on lo is". Empty when there were none.
    static QString tls(const QJsonObject &mirror);
    // The HTTP/2 connections of a session summary's `mirror` object: mirrored byte for byte,
    // ended by gaps, joined mid-stream and left out; empty when there were none.
    static QString http2(const QJsonObject &mirror);

private:
    struct Counts
    {
        qint64 seen = 0, mirrored = 0, lost = 0, bytesLost = 0, resyncs = 0, fresh = 0;
        bool atLeast = false;
    };
    static QString lostText(const Counts &c);
    static QString details(const Counts &c);
};

} // namespace podtap
