// The tap contract (../shared/spec/tap.md) as data: what we send must be exactly it.
#include "capture/packetdecoder.h"
#include "capture/pcapstreamreader.h"
#include "kube/capturecommand.h"
#include "kube/podinfo.h"
#include "kube/preflight.h"
#include "kube/tapcapture.h"
#include "kube/tapspec.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <csignal>
#include <cstring>
#include <memory>
#include <unistd.h>

using namespace podtap;
using namespace Qt::StringLiterals;

class TestTapSpec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void containerIsExactlyTheContract();
    void profilesOnTheWire_data();
    void profilesOnTheWire();
    void nonRootProfileIsExactlyItsContract();
    void baselineProfileIsExactlyItsContract();
    void baselinePodSecurityAndRuntimeItems_data();
    void baselinePodSecurityAndRuntimeItems();
    void alternativeProfiles();
    void permissionDeniedNamesTheRuntime();
    void reuseMatchesProfile_data();
    void reuseMatchesProfile();
    void nonRootImageItem_data();
    void nonRootImageItem();
    void patchBody();
    void names();
    void images_data();
    void images();
    void captureArgv();
    void captureArgvRejects_data();
    void captureArgvRejects();
    void realTcpdumpStderrIsRecognised();
    void countsAccounting();
    void realTcpdumpCountsMatchItsOutput();
    void killStopsOnlyItsOwnTcpdump();
};

void TestTapSpec::containerIsExactlyTheContract()
{
    const QJsonObject c = TapSpec::container(QStringLiteral("podtap-abcde"));
    QCOMPARE(c.keys(), (QStringList{QStringLiteral("command"), QStringLiteral("image"),
                                    QStringLiteral("imagePullPolicy"), QStringLiteral("name"),
                                    QStringLiteral("securityContext"),
                                    QStringLiteral("terminationMessagePolicy")}));
    QCOMPARE(c[QLatin1String("image")].toString(),
             QStringLiteral("docker.io/nicolaka/netshoot:v0.16"));
    QCOMPARE(c[QLatin1String("command")].toArray(),
             (QJsonArray{QStringLiteral("sleep"), QStringLiteral("infinity")}));
    const QJsonObject sc = c[QLatin1String("securityContext")].toObject();
    QCOMPARE(sc.keys(),
             (QStringList{QStringLiteral("allowPrivilegeEscalation"),
                          QStringLiteral("capabilities"), QStringLiteral("readOnlyRootFilesystem"),
                          QStringLiteral("seccompProfile")}));
    QCOMPARE(sc[QLatin1String("capabilities")][QLatin1String("drop")].toArray(),
             QJsonArray{QStringLiteral("ALL")});
    QCOMPARE(sc[QLatin1String("capabilities")][QLatin1String("add")].toArray(),
             QJsonArray{QStringLiteral("NET_RAW")});
    QCOMPARE(sc[QLatin1String("allowPrivilegeEscalation")].toBool(true), false);
    QCOMPARE(sc[QLatin1String("readOnlyRootFilesystem")].toBool(), true);
    QCOMPARE(sc[QLatin1String("seccompProfile")][QLatin1String("type")].toString(),
             QStringLiteral("RuntimeDefault"));
    QVERIFY(!sc.contains(QLatin1String("privileged")));
    QVERIFY(TapSpec::hasContractSecurityContext(c));
    QJsonObject widened = c;
    QJsonObject sc2 = sc;
    sc2[QLatin1String("capabilities")]
            = QJsonObject{{QStringLiteral("add"),
                           QJsonArray{QStringLiteral("NET_RAW"), QStringLiteral("NET_ADMIN")}}};
    widened[QLatin1String("securityContext")] = sc2;
    QVERIFY(!TapSpec::hasContractSecurityContext(widened));
}

void TestTapSpec::profilesOnTheWire_data()
{
    QTest::addColumn<int>("profile");
    QTest::addColumn<QByteArray>("patch");
    // The default profile is frozen byte for byte: what every earlier podtap sent.
    QTest::addRow("default")
            << int(TapProfile::Default)
            << QByteArray(R"({"spec":{"ephemeralContainers":[{"command":["sleep","infinity"],)"
                          R"("image":"docker.io/nicolaka/netshoot:v0.16","imagePullPolicy":)"
                          R"("IfNotPresent","name":"podtap-abcde","securityContext":)"
                          R"({"allowPrivilegeEscalation":false,"capabilities":{"add":["NET_RAW"],)"
                          R"("drop":["ALL"]},"readOnlyRootFilesystem":true,"seccompProfile":)"
                          R"({"type":"RuntimeDefault"}},"terminationMessagePolicy":"File"}]}})");
    QTest::addRow("nonroot")
            << int(TapProfile::NonRoot)
            << QByteArray(R"({"spec":{"ephemeralContainers":[{"command":["sleep","infinity"],)"
                          R"("image":"docker.io/nicolaka/netshoot:v0.16","imagePullPolicy":)"
                          R"("IfNotPresent","name":"podtap-abcde","securityContext":)"
                          R"({"capabilities":{"add":["NET_RAW"],"drop":["ALL"]},)"
                          R"("readOnlyRootFilesystem":true,"runAsGroup":65532,"runAsNonRoot":true,)"
                          R"("runAsUser":65532,"seccompProfile":{"type":"RuntimeDefault"}},)"
                          R"("terminationMessagePolicy":"File"}]}})");
    // No "add" at all; every capability of Linux 5.9+ but NET_RAW dropped, kernel order.
    QTest::addRow("baseline")
            << int(TapProfile::Baseline)
            << QByteArray(R"({"spec":{"ephemeralContainers":[{"command":["sleep","infinity"],)"
                          R"("image":"docker.io/nicolaka/netshoot:v0.16","imagePullPolicy":)"
                          R"("IfNotPresent","name":"podtap-abcde","securityContext":)"
                          R"({"allowPrivilegeEscalation":false,"capabilities":{"drop":[)"
                          R"("CHOWN","DAC_OVERRIDE","DAC_READ_SEARCH","FOWNER","FSETID","KILL",)"
                          R"("SETGID","SETUID","SETPCAP","LINUX_IMMUTABLE","NET_BIND_SERVICE",)"
                          R"("NET_BROADCAST","NET_ADMIN","IPC_LOCK","IPC_OWNER","SYS_MODULE",)"
                          R"("SYS_RAWIO","SYS_CHROOT","SYS_PTRACE","SYS_PACCT","SYS_ADMIN",)"
                          R"("SYS_BOOT","SYS_NICE","SYS_RESOURCE","SYS_TIME","SYS_TTY_CONFIG",)"
                          R"("MKNOD","LEASE","AUDIT_WRITE","AUDIT_CONTROL","SETFCAP",)"
                          R"("MAC_OVERRIDE","MAC_ADMIN","SYSLOG","WAKE_ALARM","BLOCK_SUSPEND",)"
                          R"("AUDIT_READ","PERFMON","BPF","CHECKPOINT_RESTORE"]},)"
                          R"("readOnlyRootFilesystem":true,"seccompProfile":)"
                          R"({"type":"RuntimeDefault"}},"terminationMessagePolicy":"File"}]}})");
}

void TestTapSpec::profilesOnTheWire()
{
    QFETCH(int, profile);
    QFETCH(QByteArray, patch);
    const QJsonObject c
            = TapSpec::container(QStringLiteral("podtap-abcde"),
                                 QLatin1String(TapSpec::DefaultImage), TapProfile(profile));
    QCOMPARE(TapSpec::strategicMergePatch(c), patch);
}

void TestTapSpec::nonRootProfileIsExactlyItsContract()
{
    const QJsonObject c = TapSpec::container(QStringLiteral("podtap-abcde"),
                                             QStringLiteral("example.com/tap@sha256:")
                                                     + QString(64, QLatin1Char('a')),
                                             TapProfile::NonRoot);
    const QJsonObject sc = c[QLatin1String("securityContext")].toObject();
    QCOMPARE(sc.keys(),
             (QStringList{QStringLiteral("capabilities"), QStringLiteral("readOnlyRootFilesystem"),
                          QStringLiteral("runAsGroup"), QStringLiteral("runAsNonRoot"),
                          QStringLiteral("runAsUser"), QStringLiteral("seccompProfile")}));
    // Left unset on purpose: no_new_privs would disable tcpdump's file capability.
    QVERIFY(!sc.contains(QLatin1String("allowPrivilegeEscalation")));
    QVERIFY(!sc.contains(QLatin1String("privileged")));
    QCOMPARE(sc[QLatin1String("capabilities")][QLatin1String("drop")].toArray(),
             QJsonArray{QStringLiteral("ALL")});
    QCOMPARE(sc[QLatin1String("capabilities")][QLatin1String("add")].toArray(),
             QJsonArray{QStringLiteral("NET_RAW")});
    QCOMPARE(sc[QLatin1String("runAsUser")].toInteger(), NonRootTapUid);
    QCOMPARE(sc[QLatin1String("runAsGroup")].toInteger(), NonRootTapUid);
    QVERIFY(NonRootTapUid != 0);
    QCOMPARE(sc[QLatin1String("runAsNonRoot")].toBool(), true);
    // Exact per profile: neither contract accepts the other's container.
    QVERIFY(TapSpec::hasContractSecurityContext(c, TapProfile::NonRoot));
    QVERIFY(!TapSpec::hasContractSecurityContext(c, TapProfile::Default));
    QVERIFY(!TapSpec::hasContractSecurityContext(TapSpec::container(QStringLiteral("podtap-x")),
                                                 TapProfile::NonRoot));
    QCOMPARE(TapSpec::contractProfile(c), std::optional<TapProfile>(TapProfile::NonRoot));
    // A non-root tap with another uid, or with escalation forbidden, is no contract.
    for (const auto &[key, value] : {std::pair{"runAsUser", QJsonValue(1000)},
                                     std::pair{"allowPrivilegeEscalation", QJsonValue(false)},
                                     std::pair{"runAsNonRoot", QJsonValue(false)}}) {
        QJsonObject other = sc;
        other[QLatin1String(key)] = value;
        QJsonObject oc = c;
        oc[QLatin1String("securityContext")] = other;
        QVERIFY2(!TapSpec::contractProfile(oc), key);
    }
    QCOMPARE(tapProfileFromName(QStringLiteral("nonroot")),
             std::optional<TapProfile>(TapProfile::NonRoot));
    QCOMPARE(tapProfileFromName(QStringLiteral("default")),
             std::optional<TapProfile>(TapProfile::Default));
    QVERIFY(!tapProfileFromName(QStringLiteral("root")));
    QCOMPARE(tapProfileName(TapProfile::NonRoot), QStringLiteral("nonroot"));
}

void TestTapSpec::baselineProfileIsExactlyItsContract()
{
    // 41 capabilities, CAP_CHOWN (0) … CAP_CHECKPOINT_RESTORE (40), no duplicates, no prefix.
    const QStringList all = linuxCapabilities();
    QCOMPARE(all.size(), 41);
    QCOMPARE(QSet<QString>(all.cbegin(), all.cend()).size(), 41);
    QCOMPARE(all.indexOf(QStringLiteral("NET_RAW")), 13); // CAP_NET_RAW is 13
    QCOMPARE(all.last(), QStringLiteral("CHECKPOINT_RESTORE"));
    for (const QString &c : all)
        QVERIFY2(!c.startsWith(QLatin1String("CAP_")) && c == c.toUpper(), qPrintable(c));

    const QJsonObject c
            = TapSpec::container(QStringLiteral("podtap-abcde"),
                                 QLatin1String(TapSpec::DefaultImage), TapProfile::Baseline);
    const QJsonObject sc = c[QLatin1String("securityContext")].toObject();
    QCOMPARE(sc.keys(),
             (QStringList{QStringLiteral("allowPrivilegeEscalation"),
                          QStringLiteral("capabilities"), QStringLiteral("readOnlyRootFilesystem"),
                          QStringLiteral("seccompProfile")}));
    QCOMPARE(sc[QLatin1String("allowPrivilegeEscalation")].toBool(true), false);
    const QJsonObject caps = sc[QLatin1String("capabilities")].toObject();
    QCOMPARE(caps.keys(), QStringList{QStringLiteral("drop")}); // no "add" at all
    QStringList drop;
    for (const QJsonValue v : caps[QLatin1String("drop")].toArray())
        drop << v.toString();
    QCOMPARE(drop.size(), 40);
    QVERIFY(!drop.contains(QStringLiteral("NET_RAW")));
    QVERIFY(!drop.contains(QStringLiteral("ALL")));
    QStringList expected = all;
    expected.removeOne(QStringLiteral("NET_RAW"));
    QCOMPARE(drop, expected);

    // Exact per profile, in every direction.
    QCOMPARE(TapSpec::contractProfile(c), std::optional<TapProfile>(TapProfile::Baseline));
    QVERIFY(!TapSpec::hasContractSecurityContext(c, TapProfile::Default));
    QVERIFY(!TapSpec::hasContractSecurityContext(c, TapProfile::NonRoot));
    QVERIFY(!TapSpec::hasContractSecurityContext(TapSpec::container(QStringLiteral("podtap-x")),
                                                 TapProfile::Baseline));
    // One capability fewer dropped (here SYS_ADMIN kept) is not the contract.
    QJsonObject wider = sc;
    QJsonArray fewer = caps[QLatin1String("drop")].toArray();
    fewer.removeAt(int(expected.indexOf(QStringLiteral("SYS_ADMIN"))));
    wider[QLatin1String("capabilities")] = QJsonObject{{QStringLiteral("drop"), fewer}};
    QJsonObject wc = c;
    wc[QLatin1String("securityContext")] = wider;
    QVERIFY(!TapSpec::contractProfile(wc));

    QCOMPARE(tapProfileFromName(QStringLiteral("baseline")),
             std::optional<TapProfile>(TapProfile::Baseline));
    QCOMPARE(tapProfileName(TapProfile::Baseline), QStringLiteral("baseline"));
    QCOMPARE(tapProfiles().size(), 3);
    // The baseline tap keeps the default image: netshoot's tcpdump runs as root.
    QCOMPARE(
            Preflight::imageItem(QLatin1String(TapSpec::DefaultImage), TapProfile::Baseline).status,
            PreflightItem::Status::Ok);
}

void TestTapSpec::baselinePodSecurityAndRuntimeItems_data()
{
    QTest::addColumn<QString>("level");
    QTest::addColumn<int>("profile");
    QTest::addColumn<QString>("status");
    QTest::addColumn<QString>("whyHas");
    QTest::addColumn<QString>("askHas");
    QTest::addRow("baseline admits the baseline profile")
            << u"baseline"_s << int(TapProfile::Baseline) << u"ok"_s
            << u"restricts only capabilities.add"_s << QString();
    QTest::addRow("baseline refuses default, names the flag")
            << u"baseline"_s << int(TapProfile::Default) << u"fail"_s
            << u"--tap-profile baseline adds nothing and would be admitted"_s
            << u"use --tap-profile baseline"_s;
    QTest::addRow("baseline refuses nonroot")
            << u"baseline"_s << int(TapProfile::NonRoot) << u"fail"_s
            << u"the nonroot-profile tap would be refused"_s << u"--tap-profile baseline"_s;
    for (const TapProfile p : tapProfiles())
        QTest::addRow("restricted refuses %s", qPrintable(tapProfileName(p)))
                << u"restricted"_s << int(p) << u"fail"_s
                << u"allows adding back only NET_BIND_SERVICE: no container there can hold "
                   "NET_RAW, so no tap can capture"_s
                << u"enforce=baseline --overwrite (then --tap-profile baseline)"_s;
    QTest::addRow("privileged admits baseline") << u"privileged"_s << int(TapProfile::Baseline)
                                                << u"ok"_s << u"privileged"_s << QString();
}

void TestTapSpec::baselinePodSecurityAndRuntimeItems()
{
    QFETCH(QString, level);
    QFETCH(int, profile);
    QFETCH(QString, status);
    QFETCH(QString, whyHas);
    QFETCH(QString, askHas);
    const PreflightItem i
            = Preflight::podSecurityItem(u"locked"_s, level, true, {}, TapProfile(profile));
    QCOMPARE(QLatin1String(PreflightItem::statusName(i.status)), status);
    QVERIFY2(i.why.contains(whyHas), qPrintable(i.why));
    if (askHas.isEmpty())
        QVERIFY2(i.ask.isEmpty(), qPrintable(i.ask));
    else
        QVERIFY2(i.ask.contains(askHas), qPrintable(i.ask));
}

void TestTapSpec::alternativeProfiles()
{
    // Pod Security refuses `add: [NET_RAW]`: only the baseline profile can help.
    QCOMPARE(Preflight::alternativeProfile(TapProfile::Default, true),
             std::optional<TapProfile>(TapProfile::Baseline));
    QCOMPARE(Preflight::alternativeProfile(TapProfile::NonRoot, true),
             std::optional<TapProfile>(TapProfile::Baseline));
    QVERIFY(!Preflight::alternativeProfile(TapProfile::Baseline, true));
    // A webhook refusing root: the nonroot profile (and back).
    QCOMPARE(Preflight::alternativeProfile(TapProfile::Default, false),
             std::optional<TapProfile>(TapProfile::NonRoot));
    QCOMPARE(Preflight::alternativeProfile(TapProfile::Baseline, false),
             std::optional<TapProfile>(TapProfile::NonRoot));
    QCOMPARE(Preflight::alternativeProfile(TapProfile::NonRoot, false),
             std::optional<TapProfile>(TapProfile::Default));
    QVERIFY(Preflight::useProfileAsk(TapProfile::Baseline).contains(u"--tap-profile baseline"));

    // The node runtime item.
    auto runtime = [](const QString &version, const QString &error) {
        return Preflight::nodeRuntimeItem(u"n1"_s, version, error);
    };
    QCOMPARE(runtime(u"containerd://1.7.13"_s, {}).status, PreflightItem::Status::Ok);
    QVERIFY(runtime(u"containerd://1.7.13"_s, {}).why.contains(u"holds exactly NET_RAW"));
    QCOMPARE(runtime(u"docker://25.0.3"_s, {}).status, PreflightItem::Status::Ok);
    const PreflightItem crio = runtime(u"cri-o://1.29.1"_s, {});
    QCOMPARE(crio.status, PreflightItem::Status::Warn);
    QVERIFY2(crio.why.contains(u"node n1 runs cri-o://1.29.1")
                     && crio.why.contains(u"not included NET_RAW since 1.18"),
             qPrintable(crio.why));
    QVERIFY(!crio.ask.isEmpty());
    const PreflightItem forbidden = runtime({}, u"403 Forbidden"_s);
    QCOMPARE(forbidden.status, PreflightItem::Status::Warn);
    QVERIFY2(forbidden.why.contains(u"container runtime is unknown"), qPrintable(forbidden.why));
    QCOMPARE(runtime(u"kata://3.0"_s, {}).status, PreflightItem::Status::Warn);
}

void TestTapSpec::permissionDeniedNamesTheRuntime()
{
    const QString line
            = u"tcpdump: any: You don't have permission to perform this capture on that device"_s;
    const QString crio = TapCapture::permissionDeniedReason(line, TapProfile::Baseline, u"n2"_s,
                                                            u"cri-o://1.29.1"_s);
    QVERIFY2(crio.contains(line), qPrintable(crio));
    QVERIFY2(crio.contains(u"node n2 runs cri-o://1.29.1, and CRI-O has not granted NET_RAW by "
                           "default since 1.18"),
             qPrintable(crio));
    QVERIFY2(crio.contains(u"allows adding NET_RAW"), qPrintable(crio));
    const QString unknown
            = TapCapture::permissionDeniedReason(line, TapProfile::Baseline, u"n2"_s, {});
    QVERIFY2(unknown.contains(u"could not be read"), qPrintable(unknown));
    // Other profiles keep their explanation.
    QVERIFY(TapCapture::permissionDeniedReason(line, TapProfile::NonRoot, u"n2"_s, {})
                    .contains(u"cap_net_raw+ep"));
}

namespace {
QJsonObject podWithTaps(const QList<QJsonObject> &taps)
{
    QJsonArray eph, statuses;
    for (const QJsonObject &t : taps) {
        eph.append(t);
        statuses.append(QJsonObject{
                {QStringLiteral("name"), t[QLatin1String("name")]},
                {QStringLiteral("state"),
                 QJsonObject{{QStringLiteral("running"),
                              QJsonObject{{QStringLiteral("startedAt"),
                                           QStringLiteral("2026-01-01T00:00:00Z")}}}}}});
    }
    return QJsonObject{
            {QStringLiteral("metadata"),
             QJsonObject{{QStringLiteral("name"), QStringLiteral("web")},
                         {QStringLiteral("namespace"), QStringLiteral("shop")}}},
            {QStringLiteral("spec"), QJsonObject{{QStringLiteral("ephemeralContainers"), eph}}},
            {QStringLiteral("status"),
             QJsonObject{{QStringLiteral("phase"), QStringLiteral("Running")},
                         {QStringLiteral("ephemeralContainerStatuses"), statuses}}}};
}
} // namespace

void TestTapSpec::reuseMatchesProfile_data()
{
    QTest::addColumn<int>("asked");
    QTest::addColumn<QString>("reused");
    QTest::addColumn<QString>("skippedWhy");
    QTest::addRow("default asked: the nonroot tap is passed over and named")
            << int(TapProfile::Default) << QStringLiteral("podtap-deflt")
            << QStringLiteral("podtap-nonrt: it is a nonroot-profile tap, not default");
    QTest::addRow("nonroot asked: the default tap is passed over and named")
            << int(TapProfile::NonRoot) << QStringLiteral("podtap-nonrt")
            << QStringLiteral("podtap-deflt: it is a default-profile tap, not nonroot");
}

void TestTapSpec::reuseMatchesProfile()
{
    QFETCH(int, asked);
    QFETCH(QString, reused);
    QFETCH(QString, skippedWhy);
    const QString image = QStringLiteral("example.com/podtap/tcpdump-nonroot:1.0");
    // The newer tap comes last; the one of the asked profile must win whichever is newer.
    for (const bool nonRootNewer : {false, true}) {
        const QJsonObject d
                = TapSpec::container(QStringLiteral("podtap-deflt"), image, TapProfile::Default);
        const QJsonObject n
                = TapSpec::container(QStringLiteral("podtap-nonrt"), image, TapProfile::NonRoot);
        const PodInfo pod
                = PodInfo::fromJson(podWithTaps(nonRootNewer ? QList{d, n} : QList{n, d}));
        QList<PodInfo::SkippedTap> skipped;
        const auto tap = pod.reusableTap(image, TapProfile(asked), &skipped);
        QVERIFY(tap);
        QCOMPARE(tap->value(QLatin1String("name")).toString(), reused);
        const bool otherIsNewer = (TapProfile(asked) == TapProfile::Default) == nonRootNewer;
        if (otherIsNewer) {
            QCOMPARE(skipped.size(), 1);
            QCOMPARE(skipped[0].name + QStringLiteral(": ") + skipped[0].why, skippedWhy);
            QVERIFY(!skipped[0].breaksContract); // ours, not a look-alike
        } else {
            QVERIFY(skipped.isEmpty());
        }
    }
    // Only a tap of the other profile: nothing is reused.
    const PodInfo only = PodInfo::fromJson(podWithTaps(
            {TapSpec::container(QStringLiteral("podtap-other"), image,
                                TapProfile(asked) == TapProfile::Default ? TapProfile::NonRoot
                                                                         : TapProfile::Default)}));
    QVERIFY(!only.reusableTap(image, TapProfile(asked)));
}

void TestTapSpec::nonRootImageItem_data()
{
    QTest::addColumn<QString>("image");
    QTest::addColumn<int>("profile");
    QTest::addColumn<QString>("status");
    const QString digest = QStringLiteral("registry.example.com/podtap/tcpdump-nonroot@sha256:")
                           + QString(64, QLatin1Char('b'));
    QTest::addRow("nonroot without an image")
            << QString() << int(TapProfile::NonRoot) << QStringLiteral("fail");
    QTest::addRow("nonroot with netshoot") << QStringLiteral("docker.io/nicolaka/netshoot:v0.16")
                                           << int(TapProfile::NonRoot) << QStringLiteral("fail");
    QTest::addRow("nonroot with netshoot, short name")
            << QStringLiteral("nicolaka/netshoot@sha256:") + QString(64, QLatin1Char('c'))
            << int(TapProfile::NonRoot) << QStringLiteral("fail");
    QTest::addRow("nonroot with a built image")
            << digest << int(TapProfile::NonRoot) << QStringLiteral("ok");
    QTest::addRow("default with netshoot") << QStringLiteral("docker.io/nicolaka/netshoot:v0.16")
                                           << int(TapProfile::Default) << QStringLiteral("ok");
}

void TestTapSpec::nonRootImageItem()
{
    QFETCH(QString, image);
    QFETCH(int, profile);
    QFETCH(QString, status);
    const PreflightItem i = Preflight::imageItem(image, TapProfile(profile));
    QCOMPARE(QLatin1String(PreflightItem::statusName(i.status)), status);
    if (status == QLatin1String("fail")) {
        QVERIFY2(i.why.contains(QLatin1String("cap_net_raw+ep")), qPrintable(i.why));
        QVERIFY2(i.ask.contains(QLatin1String("Dockerfile.nonroot")), qPrintable(i.ask));
    }
}

void TestTapSpec::patchBody()
{
    const QJsonObject c = TapSpec::container(QStringLiteral("podtap-abcde"));
    const QJsonObject patch = QJsonDocument::fromJson(TapSpec::strategicMergePatch(c)).object();
    QCOMPARE(patch.keys(), QStringList{QStringLiteral("spec")});
    const QJsonArray list
            = patch[QLatin1String("spec")][QLatin1String("ephemeralContainers")].toArray();
    QCOMPARE(list.size(), 1);
    QCOMPARE(list[0].toObject(), c);
}

void TestTapSpec::names()
{
    QSet<QString> seen;
    for (int i = 0; i < 200; ++i) {
        const QString n = TapSpec::randomName();
        QVERIFY2(TapSpec::isTapName(n), qPrintable(n));
        seen.insert(n);
    }
    QVERIFY(seen.size() > 190);
    QVERIFY(!TapSpec::isTapName(QStringLiteral("debugger-abcde")));
    QVERIFY(!TapSpec::isTapName(QStringLiteral("podtap-ABCDE")));
}

void TestTapSpec::images_data()
{
    QTest::addColumn<QString>("image");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<bool>("warns");
    QTest::addRow("default") << QString::fromLatin1(TapSpec::DefaultImage) << true << false;
    QTest::addRow("digest") << QStringLiteral("nicolaka/netshoot@sha256:")
                                       + QString(64, QLatin1Char('a'))
                            << true << false;
    QTest::addRow("latest") << QStringLiteral("nicolaka/netshoot:latest") << true << true;
    QTest::addRow("untagged") << QStringLiteral("registry.local:5000/tools/netshoot") << true
                              << true;
    QTest::addRow("shell") << QStringLiteral("netshoot;rm -rf /") << false << true;
    QTest::addRow("space") << QStringLiteral("net shoot:1") << false << false;
}

void TestTapSpec::images()
{
    QFETCH(QString, image);
    QFETCH(bool, valid);
    QFETCH(bool, warns);
    QString why;
    QCOMPARE(TapSpec::isValidImage(image, &why), valid);
    if (valid)
        QCOMPARE(!TapSpec::imageWarning(image).isEmpty(), warns);
    else
        QVERIFY(!why.isEmpty());
}

void TestTapSpec::captureArgv()
{
    CaptureCommand::Options o;
    o.port = 8080;
    auto a = CaptureCommand::argv(o);
    QVERIFY(a.ok());
    QCOMPARE(a.value().join(QLatin1Char(' ')),
             QStringLiteral("tcpdump -p -i any --immediate-mode -B 65536 -U -w - -s 65600 tcp port "
                            "8080"));
    o.snapLength = 128;
    o.hosts = {QStringLiteral("198.18.0.7"), QStringLiteral("fd00::7")};
    a = CaptureCommand::argv(o);
    QVERIFY(a.ok());
    QCOMPARE(a.value().join(QLatin1Char(' ')),
             QStringLiteral("tcpdump -p -i any --immediate-mode -B 65536 -U -w - -s 128 tcp port "
                            "8080 and ( "
                            "host 198.18.0.7 "
                            "or host fd00::7 )"));
}

void TestTapSpec::captureArgvRejects_data()
{
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("host");
    QTest::addRow("port 0") << 0 << QString();
    QTest::addRow("port 65536") << 65536 << QString();
    QTest::addRow("negative") << -1 << QString();
    QTest::addRow("host injection") << 80 << QStringLiteral("1.2.3.4 or port 22");
    QTest::addRow("host name") << 80 << QStringLiteral("evil.example");
}

void TestTapSpec::captureArgvRejects()
{
    QFETCH(int, port);
    QFETCH(QString, host);
    CaptureCommand::Options o;
    o.port = port;
    if (!host.isEmpty())
        o.hosts = {host};
    const auto a = CaptureCommand::argv(o);
    QVERIFY(!a.ok());
    QVERIFY(!a.error().isEmpty());
}

void TestTapSpec::realTcpdumpStderrIsRecognised()
{
    if (geteuid() != 0)
        QSKIP("needs root to run tcpdump with chosen capability sets");
    const QString tcpdump = QStandardPaths::findExecutable(
            QStringLiteral("tcpdump"), {QStringLiteral("/usr/bin"), QStringLiteral("/usr/sbin")});
    if (tcpdump.isEmpty())
        QSKIP("tcpdump is not installed");
    auto stderrOf = [&](const QStringList &setprivArgs) {
        QProcess p;
        p.start(QStringLiteral("setpriv"),
                setprivArgs
                        + QStringList{tcpdump, QStringLiteral("-p"), QStringLiteral("-i"),
                                      QStringLiteral("lo"), QStringLiteral("-c"),
                                      QStringLiteral("1"), QStringLiteral("-w"),
                                      QStringLiteral("-"), QStringLiteral("tcp port 1")});
        p.waitForFinished(5000);
        if (p.state() != QProcess::NotRunning) {
            p.kill();
            p.waitForFinished();
        }
        return QString::fromLocal8Bit(p.readAllStandardError())
                .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    };
    auto kinds = [](const QStringList &lines) {
        QList<CaptureCommand::StderrKind> k;
        for (const QString &l : lines)
            k << CaptureCommand::classify(l);
        return k;
    };
    // No NET_RAW at all: the kernel refuses the socket.
    const QStringList noCaps = stderrOf(
            {QStringLiteral("--reuid"), QStringLiteral("65534"), QStringLiteral("--regid"),
             QStringLiteral("65534"), QStringLiteral("--clear-groups"),
             QStringLiteral("--inh-caps"), QStringLiteral("-all"), QStringLiteral("--bounding-set"),
             QStringLiteral("-all"), QStringLiteral("--no-new-privs")});
    QVERIFY2(kinds(noCaps).contains(CaptureCommand::StderrKind::PermissionDenied),
             qPrintable(noCaps.join(QLatin1Char('|'))));
    // Root with only NET_RAW: Debian's tcpdump opens the device, then fails to drop to its user.
    const QStringList drop
            = stderrOf({QStringLiteral("--bounding-set"), QStringLiteral("-all,+net_raw"),
                        QStringLiteral("--inh-caps"), QStringLiteral("-all,+net_raw"),
                        QStringLiteral("--no-new-privs")});
    QVERIFY2(kinds(drop).contains(CaptureCommand::StderrKind::PrivilegeDrop),
             qPrintable(drop.join(QLatin1Char('|'))));
}

void TestTapSpec::countsAccounting()
{
    CaptureCommand::Counts c;
    QCOMPARE(c.unread(0), 0); // nothing known: nothing claimed
    for (const char *line : {"797 packets captured", "900 packets received by filter",
                             "103 packets dropped by kernel", "1 packet dropped by interface"})
        QVERIFY(CaptureCommand::parseCounts(QString::fromLatin1(line), &c));
    QCOMPARE(c.captured, 797);
    QCOMPARE(c.receivedByFilter, 900);
    QCOMPARE(c.droppedByKernel, 103);
    QCOMPARE(c.droppedByInterface, 1);
    QCOMPARE(c.unread(0), 0);
    // TPACKET_V3's last block, never read: received but neither captured nor dropped.
    CaptureCommand::Counts v3;
    CaptureCommand::parseCounts(QStringLiteral("59573 packets captured"), &v3);
    CaptureCommand::parseCounts(QStringLiteral("60018 packets received by filter"), &v3);
    CaptureCommand::parseCounts(QStringLiteral("0 packets dropped by kernel"), &v3);
    QCOMPARE(v3.unread(0), 445);
    QCOMPARE(v3.unread(400), 45); // 400 of those were loopback packets, counted twice
    QCOMPARE(v3.unread(1000), 0);
    QVERIFY(!CaptureCommand::parseCounts(QStringLiteral("listening on any"), &v3));
    QVERIFY(!CaptureCommand::parseCounts(QStringLiteral("packets captured"), &v3));
}

void TestTapSpec::realTcpdumpCountsMatchItsOutput()
{
    if (geteuid() != 0)
        QSKIP("needs root to capture");
    const QString tcpdump = QStandardPaths::findExecutable(
            QStringLiteral("tcpdump"), {QStringLiteral("/usr/bin"), QStringLiteral("/usr/sbin")});
    if (tcpdump.isEmpty())
        QSKIP("tcpdump is not installed");
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    CaptureCommand::Options o;
    o.port = server.serverPort();
    auto argv = CaptureCommand::argv(o);
    QVERIFY(argv.ok());
    QStringList args = argv.value();
    args.removeFirst();
    QProcess td;
    td.start(tcpdump, args);
    QVERIFY(td.waitForStarted());
    QByteArray err;
    QTRY_VERIFY_WITH_TIMEOUT((err += td.readAllStandardError()).contains("listening on"), 10000);
    bool listening = false; // what resets TapCapture's reconnect back-off
    for (const QByteArray &line : err.split('\n'))
        listening = listening
                    || CaptureCommand::classify(QString::fromLatin1(line).trimmed())
                               == CaptureCommand::StderrKind::Listening;
    QVERIFY2(listening, err.constData());
    // Traffic the filter accepts: a few connections, each a request and a reply.
    for (int i = 0; i < 5; ++i) {
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        QVERIFY(client.waitForConnected(5000));
        QTRY_VERIFY(server.hasPendingConnections());
        std::unique_ptr<QTcpSocket> peer(server.nextPendingConnection());
        client.write(QByteArray(1000, 'q'));
        QVERIFY(client.waitForBytesWritten(5000));
        QTRY_COMPARE(peer->bytesAvailable(), 1000);
        peer->write(QByteArray(3000, 'r'));
        QVERIFY(peer->waitForBytesWritten(5000));
        QTRY_COMPARE(client.bytesAvailable(), 3000);
    }
    // Stop once tcpdump has written everything (its output quiet for 500 ms): what it has
    // not read by then counts as unread, and this test expects none. A fixed wait was too
    // short on a loaded machine.
    QByteArray pcap;
    QElapsedTimer quiet;
    quiet.start();
    QElapsedTimer total;
    total.start();
    while (quiet.elapsed() < 500 && total.elapsed() < 15000) {
        QTest::qWait(50);
        const QByteArray more = td.readAllStandardOutput();
        if (!more.isEmpty()) {
            pcap += more;
            quiet.restart();
        }
    }
    ::kill(pid_t(td.processId()), SIGINT);
    QVERIFY(td.waitForFinished(10000));
    err += td.readAllStandardError();
    pcap += td.readAllStandardOutput();
    CaptureCommand::Counts c;
    for (const QByteArray &line : err.split('\n'))
        if (CaptureCommand::classify(QString::fromLatin1(line))
            == CaptureCommand::StderrKind::Counts)
            QVERIFY(CaptureCommand::parseCounts(QString::fromLatin1(line), &c));
    QVERIFY2(c.captured > 0 && c.receivedByFilter >= c.captured && c.droppedByKernel >= 0,
             err.constData());
    // Count the records in tcpdump's output: "captured" is what it wrote. All of them were
    // taken on lo, which the kernel counts twice.
    PcapStreamReader reader;
    qint64 records = 0, loopback = 0;
    reader.setPacketCallback([&](const RawPacket &p) {
        ++records;
        loopback += PacketDecoder::isLinuxLoopback(p) ? 1 : 0;
    });
    reader.feed(reinterpret_cast<const std::uint8_t *>(pcap.constData()), std::size_t(pcap.size()));
    reader.endOfStream();
    QCOMPARE(records, c.captured);
    QCOMPARE(loopback, records);
    QVERIFY2(c.unread(loopback) == 0, err.constData());
}

QTEST_GUILESS_MAIN(TestTapSpec)
void TestTapSpec::killStopsOnlyItsOwnTcpdump()
{
    // Two sessions sharing a tap each run tcpdump; stopping one must leave the other.
    // Real tcpdumps and the real procps pkill, with the argv TapCapture sends.
    if (geteuid() != 0)
        QSKIP("needs root to capture");
    if (QStandardPaths::findExecutable(QStringLiteral("pkill")).isEmpty())
        QSKIP("pkill is not installed");
    const QString tcpdump = QStandardPaths::findExecutable(
            QStringLiteral("tcpdump"), {QStringLiteral("/usr/bin"), QStringLiteral("/usr/sbin")});
    if (tcpdump.isEmpty())
        QSKIP("tcpdump is not installed");
    QTcpServer a, b;
    QVERIFY(a.listen(QHostAddress::LocalHost));
    QVERIFY(b.listen(QHostAddress::LocalHost));
    auto argvFor = [](quint16 port, const QStringList &hosts = {}) {
        CaptureCommand::Options o;
        o.port = port;
        o.hosts = hosts;
        return CaptureCommand::argv(o).value();
    };
    const QStringList argvA = argvFor(a.serverPort());
    const QStringList argvB = argvFor(b.serverPort());
    // Same port, one with a host filter (parentheses and dots in the command line).
    const QStringList argvC = argvFor(a.serverPort(), {QStringLiteral("127.0.0.1")});
    QProcess pa, pb, pc;
    for (auto [p, argv] : {std::pair{&pa, argvA}, std::pair{&pb, argvB}, std::pair{&pc, argvC}}) {
        p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        p->setStandardOutputFile(QProcess::nullDevice());
        p->start(tcpdump, argv.mid(1));
        QVERIFY(p->waitForStarted());
    }
    QTest::qWait(300);
    auto pkill = [](const QStringList &argv) {
        const QStringList k = TapCapture::killArgv(argv);
        return QProcess::execute(k.first(), k.mid(1));
    };
    QCOMPARE(pkill(argvB), 0);
    QVERIFY(pb.waitForFinished(5000));
    QTest::qWait(300);
    QCOMPARE(pa.state(), QProcess::Running); // the other sessions' tcpdumps live on
    QCOMPARE(pc.state(), QProcess::Running);
    QCOMPARE(pkill(argvB), 1); // nothing left to match
    QCOMPARE(pkill(argvC), 0);
    QVERIFY(pc.waitForFinished(5000));
    QCOMPARE(pa.state(), QProcess::Running);
    QCOMPARE(pkill(argvA), 0);
    QVERIFY(pa.waitForFinished(5000));
}

#include "tst_tapspec.moc"
