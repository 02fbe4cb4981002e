#include "sessionstartrequest.h"

#include "ipcfields.h"
#include "ipcjsonreader.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QProcessEnvironment>

#include <algorithm>
#include <limits>

namespace podtap {

using namespace IpcFields;

namespace {
constexpr auto Where = "session.start";

// Out-of-range numbers stay out of range (the daemon says which range), never wrap.
int clampedInt(qint64 v)
{
    return int(std::clamp<qint64>(v, std::numeric_limits<int>::min(),
                                  std::numeric_limits<int>::max()));
}
} // namespace

QStringList SessionStartRequest::kubeconfigFromEnvironment()
{
    QStringList files;
    for (const QString &f :
         qEnvironmentVariable("KUBECONFIG").split(QLatin1Char(':'), Qt::SkipEmptyParts))
        files << QFileInfo(f).absoluteFilePath();
    return files;
}

QMap<QString, QString> SessionStartRequest::processEnvironment()
{
    QMap<QString, QString> out;
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QStringList keys = env.keys();
    for (const QString &key : keys)
        out.insert(key, env.value(key));
    return out;
}

QJsonObject SessionStartRequest::toJson() const
{
    QJsonObject env;
    for (auto it = environment.cbegin(); it != environment.cend(); ++it)
        env[it.key()] = it.value();
    QJsonObject o;
    o[Kubeconfig] = QJsonArray::fromStringList(kubeconfig);
    o[Environment] = env;
    o[Context] = context;
    o[Namespace] = ns;
    o[Target] = target;
    o[Port] = port;
    o[Image] = image;
    o[TapProfile] = tapProfile;
    o[ConfirmProtected] = confirmProtected;
    o[AllPods] = allPods;
    o[MaxPods] = maxPods;
    o[StallTimeout] = stallTimeoutSeconds;
    o[IpcFields::Mirror] = QJsonObject{
            {Host, mirror.host},
            {Port, mirror.port},
            {JoinMidstream, mirror.joinMidstream},
            {AllowRemote, mirror.allowRemote},
            {HttpFilter, mirror.httpFilter},
            {Compare, mirror.compare},
            {IgnoreHeaders, QJsonArray::fromStringList(mirror.ignoreHeaders)},
            {ProtoDescriptor, QString::fromLatin1(mirror.protoDescriptor.toBase64())}};
    o[IpcFields::Limits] = QJsonObject{{MaxBytes, limits.maxBytes},
                                       {MaxAgeSeconds, limits.maxAgeSeconds},
                                       {DurationSeconds, limits.durationSeconds}};
    o[Subscribe] = subscribe;
    o[SkipEvents] = QJsonArray::fromStringList(skipEvents);
    o[Pcap] = pcap;
    o[PcapFormat] = pcapFormat;
    o[StopWithClient] = stopWithClient;
    return o;
}

SessionStartRequest SessionStartRequest::fromJson(const QJsonObject &json, QString *error)
{
    SessionStartRequest s;
    IpcJsonReader r(json, QLatin1String(Where));
    s.kubeconfig = r.strings(Kubeconfig);
    s.environment = r.stringMap(Environment);
    s.context = r.string(Context);
    s.ns = r.string(Namespace);
    s.target = r.string(Target);
    s.port = clampedInt(r.integer(Port));
    s.image = r.string(Image);
    s.tapProfile = r.string(TapProfile, s.tapProfile);
    s.confirmProtected = r.boolean(ConfirmProtected);
    s.allPods = r.boolean(AllPods, s.allPods);
    s.maxPods = clampedInt(r.integer(MaxPods, s.maxPods));
    s.stallTimeoutSeconds = clampedInt(r.integer(StallTimeout, s.stallTimeoutSeconds));

    IpcJsonReader m(r.object(IpcFields::Mirror),
                    QStringLiteral("%1: mirror").arg(QLatin1String(Where)));
    s.mirror.host = m.string(Host, s.mirror.host);
    s.mirror.port = clampedInt(m.integer(Port));
    s.mirror.joinMidstream = m.boolean(JoinMidstream);
    s.mirror.allowRemote = m.boolean(AllowRemote);
    s.mirror.httpFilter = m.object(HttpFilter);
    s.mirror.compare = m.boolean(Compare);
    s.mirror.ignoreHeaders = m.strings(IgnoreHeaders);
    const QString descriptor = m.string(ProtoDescriptor);
    auto decoded = QByteArray::fromBase64Encoding(descriptor.toLatin1(),
                                                  QByteArray::AbortOnBase64DecodingErrors);
    s.mirror.protoDescriptor = std::move(decoded.decoded);
    r.merge(m);

    IpcJsonReader l(r.object(IpcFields::Limits),
                    QStringLiteral("%1: limits").arg(QLatin1String(Where)));
    s.limits.maxBytes = l.integer(MaxBytes);
    s.limits.maxAgeSeconds = l.integer(MaxAgeSeconds);
    s.limits.durationSeconds = l.integer(DurationSeconds);
    r.merge(l);

    s.subscribe = r.boolean(Subscribe);
    s.skipEvents = r.strings(SkipEvents);
    s.pcap = r.boolean(Pcap);
    s.pcapFormat = r.string(PcapFormat, s.pcapFormat);
    s.stopWithClient = r.boolean(StopWithClient);
    if (r.report(error) && decoded.decodingStatus != QByteArray::Base64DecodingStatus::Ok && error)
        *error = QStringLiteral("%1: mirror: 'protoDescriptor' is not base64")
                         .arg(QLatin1String(Where));
    return s;
}

bool SessionStartRequest::operator==(const SessionStartRequest &other) const
{
    return toJson() == other.toJson();
}

} // namespace podtap
