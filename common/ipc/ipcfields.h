#pragma once

#include <QLatin1String>

namespace podtap::IpcFields {

// The JSON keys of the typed IPC messages (docs/ipc.md), written once: the structs in this
// folder, the daemon and the docs check (tst_ipcdoc) use these names.

// Envelope
inline constexpr QLatin1String Code("code");
inline constexpr QLatin1String Message("message");
inline constexpr QLatin1String Id("id");

// session.start
inline constexpr QLatin1String Kubeconfig("kubeconfig");
inline constexpr QLatin1String Environment("environment");
inline constexpr QLatin1String Context("context");
inline constexpr QLatin1String Namespace("namespace");
inline constexpr QLatin1String Target("target");
inline constexpr QLatin1String Port("port");
inline constexpr QLatin1String Image("image");
inline constexpr QLatin1String TapProfile("tapProfile");
inline constexpr QLatin1String ConfirmProtected("confirmProtected");
inline constexpr QLatin1String AllPods("allPods");
inline constexpr QLatin1String MaxPods("maxPods");
inline constexpr QLatin1String StallTimeout("stallTimeout");
inline constexpr QLatin1String Mirror("mirror");
inline constexpr QLatin1String Host("host");
inline constexpr QLatin1String JoinMidstream("joinMidstream");
inline constexpr QLatin1String AllowRemote("allowRemote");
inline constexpr QLatin1String HttpFilter("httpFilter");
inline constexpr QLatin1String Compare("compare");
inline constexpr QLatin1String IgnoreHeaders("ignoreHeaders");
inline constexpr QLatin1String ProtoDescriptor("protoDescriptor");
inline constexpr QLatin1String Limits("limits");
inline constexpr QLatin1String MaxBytes("maxBytes");
inline constexpr QLatin1String MaxAgeSeconds("maxAgeSeconds");
inline constexpr QLatin1String DurationSeconds("durationSeconds");
inline constexpr QLatin1String Subscribe("subscribe");
inline constexpr QLatin1String SkipEvents("skipEvents");
inline constexpr QLatin1String Pcap("pcap");
inline constexpr QLatin1String PcapFormat("pcapFormat");
inline constexpr QLatin1String StopWithClient("stopWithClient");

// session.subscribe / session.unsubscribe and their answer
inline constexpr QLatin1String Stream("stream");

// Session summaries and replies
inline constexpr QLatin1String Session("session");
inline constexpr QLatin1String Sessions("sessions");
inline constexpr QLatin1String Stored("stored");
inline constexpr QLatin1String Live("live");
inline constexpr QLatin1String Title("title");
inline constexpr QLatin1String State("state");
inline constexpr QLatin1String Reason("reason");
inline constexpr QLatin1String Protected("protected");
inline constexpr QLatin1String Packets("packets");
inline constexpr QLatin1String Bytes("bytes");
inline constexpr QLatin1String DiskBytes("diskBytes");

} // namespace podtap::IpcFields
