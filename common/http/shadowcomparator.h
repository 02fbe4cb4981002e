#pragma once

#include "http2/protodescriptorset.h"
#include "httpexchange.h"
#include "httpmessage.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QSet>
#include <QStringList>

#include <memory>

namespace podtap {

// Compares the pod's response to a request with the local build's response to the same
// request. Headers in the ignore list (and framing headers, which legitimately differ) do
// not count; JSON bodies are compared as values (member order ignored, changed paths named);
// other bodies by size and hash.
class ShadowComparator
{
public:
    enum class Kind : std::uint8_t {
        Same,
        StatusDiffers,
        BodyDiffers,
        HeadersDiffer,
        LocalError,    // the local build reset, closed early or sent something unparsable
        LocalTimeout,  // no local answer in time
        NotComparable, // the capture lost part of the pod's response
    };
    struct Verdict
    {
        Kind kind = Kind::Same;
        int podStatus = 0;
        int localStatus = 0;
        QStringList headers;   // names whose values differ (lower case, bounded)
        QStringList bodyPaths; // JSON paths that differ, or a one-line reason
        QString detail;        // for errors and NotComparable
        // What differed, for the side-by-side view (bounded): header values by name
        // ({"pod": …, "local": …}), JSON values by path, and body excerpts when the bodies
        // differ and are not compared as JSON paths (or the status differs).
        QJsonObject headerValues;
        QJsonArray bodyValues;
        QString podBody;
        QString localBody;
        // gRPC calls (both sides gRPC): grpc-status of each side, -1 when none was seen.
        int podGrpcStatus = -1;
        int localGrpcStatus = -1;
        QJsonObject toJson() const;
    };
    struct Options
    {
        QSet<QByteArray> ignoreHeaders; // lower case
        int maxPaths = 20;
        // Names the fields of gRPC messages (`$[0].detail.note`); numbers without it.
        std::shared_ptr<const ProtoDescriptorSet> descriptors{};
    };

    ShadowComparator();
    explicit ShadowComparator(const Options &options);
    static QSet<QByteArray> defaultIgnoredHeaders();

    Verdict compare(const HttpMessage &pod, const HttpMessage &local) const;
    // The pod's exchange against the local build's answer to the same request, HTTP/1 and
    // HTTP/2 alike: the responses as above (pseudo-header fields aside, trailers as
    // "trailer:name"). When both answer gRPC: :status, then grpc-status (a difference is a
    // status verdict, the grpc-message of each side in the detail), then the response
    // messages field by field (ProtobufDiff paths: `$[0].2.1`, or names with a descriptor
    // set), then headers and trailers. gRPC on one side only is a body (or status) difference.
    Verdict compare(const HttpExchange &pod, const HttpExchange &local) const;
    static Verdict localFailure(Kind kind, int podStatus, const QString &detail);
    static const char *kindName(Kind kind);
    static bool kindFromName(QStringView name, Kind *kind);

private:
    static bool incomplete(const HttpMessage &pod, const HttpMessage &local, Verdict *v);
    void compareFields(const HttpMessage &pod, const HttpMessage &local, bool grpc,
                       Verdict *v) const;

    Options m_options;
};

} // namespace podtap
