// Settings over a QSettings file in a temp folder: defaults, a round trip of every value,
// the tap image warning (spec/tap.md: digest-pinned recommended, floating tags warned about),
// the dialog, SessionController taking what a request leaves empty from Settings, and a file
// that holds only the known keys and nothing secret. Writes screenshots/settings.png.
#include "loginautostart.h"
#include "recenttargets.h"
#include "screenshot.h"
#include "sessioncontroller.h"
#include "settings.h"
#include "settingsdialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProcess>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using podtap::Settings;

class TestSettings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void defaults();
    void roundTrip();
    void malformedLimits();
    void imageWarning_data();
    void imageWarning();
    void dialog();
    void startParamsFromSettings();
    void onlyKnownKeysNoSecrets();
    void startAtLogin();

private:
    void wipe();
    QTemporaryDir m_dir;
};

void TestSettings::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_dir.path());
    QVERIFY2(Settings::fileName().startsWith(m_dir.path()), qPrintable(Settings::fileName()));
    // The user's own autostart folder stays out of the test.
    qputenv("XDG_CONFIG_HOME", m_dir.filePath(u"config-home"_s).toLocal8Bit());
    QVERIFY(podtap::LoginAutostart::path().startsWith(m_dir.path()));
    qInfo("settings file: %s", qPrintable(Settings::fileName()));
}

void TestSettings::wipe()
{
    QSettings s(Settings::fileName(), QSettings::IniFormat);
    s.clear();
    s.sync();
}

void TestSettings::init()
{
    wipe();
}

void TestSettings::defaults()
{
    QCOMPARE(Settings::kubeconfigPaths(), QStringList());
    QCOMPARE(Settings::tapImage(), u"docker.io/nicolaka/netshoot:v0.16"_s);
    QCOMPARE(Settings::tapProfile(), u"default"_s);
    QCOMPARE(Settings::maxMegabytes(), qint64(0));
    QCOMPARE(Settings::maxAgeSeconds(), qint64(0));
    QCOMPARE(Settings::durationSeconds(), 0);
    QCOMPARE(Settings::mirrorJoinMidstream(), false);
    QCOMPARE(Settings::defaultMirrorPort(), 9000);
    QCOMPARE(Settings::startMinimized(), false);
    QCOMPARE(Settings::recentTargetCount(), 5);
    QCOMPARE(Settings::wiresharkSetting(), QString());
}

void TestSettings::malformedLimits()
{
    // Hand-edited: a duration with a unit is read, garbage is logged and is no limit.
    {
        QSettings s(Settings::fileName(), QSettings::IniFormat);
        s.setValue(u"capture/maxAgeSeconds"_s, u"10m"_s);
        s.setValue(u"capture/durationSeconds"_s, u"1h30m"_s);
        s.setValue(u"capture/maxMegabytes"_s, u"lots"_s);
        s.sync();
    }
    QCOMPARE(Settings::maxAgeSeconds(), qint64(600));
    QCOMPARE(Settings::durationSeconds(), 5400);
    QTest::ignoreMessage(QtWarningMsg,
                         "settings capture/maxMegabytes: 'lots' is not a whole number of MiB; "
                         "no limit is used");
    QCOMPARE(Settings::maxMegabytes(), qint64(0));
    {
        QSettings s(Settings::fileName(), QSettings::IniFormat);
        s.setValue(u"capture/maxAgeSeconds"_s, u"-5"_s);
        s.sync();
    }
    QTest::ignoreMessage(QtWarningMsg,
                         "settings capture/maxAgeSeconds: '-5' is not a number of seconds or a "
                         "duration such as 10m; no limit is used");
    QCOMPARE(Settings::maxAgeSeconds(), qint64(0));
}

void TestSettings::roundTrip()
{
    Settings::setKubeconfigPaths({u"/a/config"_s, u"  "_s, u" /b/config "_s});
    Settings::setTapImage(u"registry.example:5000/tools/tap@sha256:"_s + QString(64, u'a'));
    Settings::setTapProfile(u"baseline"_s);
    Settings::setMaxMegabytes(512);
    Settings::setMaxAgeSeconds(3600);
    Settings::setDurationSeconds(600);
    Settings::setMirrorJoinMidstream(true);
    Settings::setDefaultMirrorPort(18080);
    Settings::setStartMinimized(true);
    Settings::setRecentTargetCount(7);
    Settings::setWiresharkSetting(u"/opt/wireshark/bin/wireshark"_s);
    QCOMPARE(Settings::kubeconfigPaths(), QStringList({u"/a/config"_s, u"/b/config"_s}));
    QCOMPARE(Settings::tapProfile(), u"baseline"_s);
    QCOMPARE(Settings::tapImage(),
             u"registry.example:5000/tools/tap@sha256:"_s + QString(64, u'a'));
    QCOMPARE(Settings::maxMegabytes(), qint64(512));
    QCOMPARE(Settings::maxAgeSeconds(), qint64(3600));
    QCOMPARE(Settings::durationSeconds(), 600);
    QCOMPARE(Settings::mirrorJoinMidstream(), true);
    QCOMPARE(Settings::defaultMirrorPort(), 18080);
    QCOMPARE(Settings::startMinimized(), true);
    QCOMPARE(Settings::recentTargetCount(), 7);
    QCOMPARE(Settings::wiresharkSetting(), u"/opt/wireshark/bin/wireshark"_s);

    // Bad values in the file fall back instead of reaching the daemon.
    {
        QSettings s(Settings::fileName(), QSettings::IniFormat);
        s.setValue(u"mirror/defaultLocalPort"_s, 70000);
        s.setValue(u"recent/count"_s, -3);
        s.setValue(u"capture/maxMegabytes"_s, u"lots"_s);
        s.setValue(u"tap/profile"_s, u"privileged"_s);
    }
    QCOMPARE(Settings::tapProfile(), u"default"_s);
    QCOMPARE(Settings::defaultMirrorPort(), 9000);
    QCOMPARE(Settings::recentTargetCount(), 0);
    QCOMPARE(Settings::maxMegabytes(), qint64(0));
    // An empty image means the default again.
    Settings::setTapImage(u"  "_s);
    QCOMPARE(Settings::tapImage(), QLatin1String(Settings::DefaultImage));
}

void TestSettings::imageWarning_data()
{
    QTest::addColumn<QString>("image");
    QTest::addColumn<QString>("expect"); // empty: no warning; else a word of the warning
    QTest::addRow("default") << u"docker.io/nicolaka/netshoot:v0.16"_s << QString();
    QTest::addRow("default, short") << u"nicolaka/netshoot:v0.16"_s << QString();
    QTest::addRow("empty = default") << QString() << QString();
    QTest::addRow("digest") << (u"nicolaka/netshoot@sha256:"_s + QString(64, u'0')) << QString();
    QTest::addRow("latest") << u"nicolaka/netshoot:latest"_s << u"floats"_s;
    QTest::addRow("no tag") << u"nicolaka/netshoot"_s << u"floats"_s;
    QTest::addRow("registry port, no tag") << u"reg.local:5000/netshoot"_s << u"floats"_s;
    QTest::addRow("other tag") << u"nicolaka/netshoot:v0.13"_s << u"not the default"_s;
    QTest::addRow("short digest") << u"img@sha256:abc"_s << u"not the default"_s;
}

void TestSettings::imageWarning()
{
    QFETCH(QString, image);
    QFETCH(QString, expect);
    const QString warning = Settings::imageWarning(image);
    if (expect.isEmpty()) {
        QVERIFY2(warning.isEmpty(), qPrintable(warning));
    } else {
        QVERIFY2(warning.contains(expect), qPrintable(warning));
        QVERIFY(warning.contains(u"sha256"_s)); // says how to pin
    }
}

void TestSettings::dialog()
{
    Settings::setDefaultMirrorPort(9100);
    podtap::SettingsDialog dialog;
    auto *image = dialog.findChild<QLineEdit *>(u"tapImage"_s);
    auto *kube = dialog.findChild<QPlainTextEdit *>(u"kubeconfigPaths"_s);
    auto *port = dialog.findChild<QSpinBox *>(u"defaultMirrorPort"_s);
    auto *maxMb = dialog.findChild<QSpinBox *>(u"maxMegabytes"_s);
    auto *minimized = dialog.findChild<QCheckBox *>(u"startMinimized"_s);
    auto *profile = dialog.findChild<QComboBox *>(u"tapProfile"_s);
    QVERIFY(image && kube && port && maxMb && minimized && profile);
    QCOMPARE(profile->currentData().toString(), u"default"_s);
    QCOMPARE(profile->count(), 3);
    QCOMPARE(port->value(), 9100);
    QVERIFY(image->text().isEmpty()); // the default shows as the placeholder
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QVERIFY(dialog.imageWarningText().isEmpty());
    image->setText(u"nicolaka/netshoot:latest"_s);
    QVERIFY(dialog.imageWarningText().contains(u"floats"_s));
    kube->setPlainText(u"/home/me/.kube/config\n/home/me/.kube/staging.yaml\n"_s);
    port->setValue(9200);
    maxMb->setValue(256);
    minimized->setChecked(true);
    profile->setCurrentIndex(profile->findData(u"baseline"_s));
    dialog.adjustSize(); // the warning label grew
    QTest::qWait(50);
    const QString shot = podtap::test::saveScreenshot(&dialog, u"settings"_s);
    QVERIFY(!shot.isEmpty());
    qInfo("screenshot: %s", qPrintable(shot));
    dialog.accept();
    QCOMPARE(Settings::tapImage(), u"nicolaka/netshoot:latest"_s);
    QCOMPARE(Settings::kubeconfigPaths(),
             QStringList({u"/home/me/.kube/config"_s, u"/home/me/.kube/staging.yaml"_s}));
    QCOMPARE(Settings::defaultMirrorPort(), 9200);
    QCOMPARE(Settings::maxMegabytes(), qint64(256));
    QCOMPARE(Settings::startMinimized(), true);
    QCOMPARE(Settings::tapProfile(), u"baseline"_s);

    // Cancel writes nothing.
    podtap::SettingsDialog second;
    second.findChild<QSpinBox *>(u"defaultMirrorPort"_s)->setValue(9300);
    second.reject();
    QCOMPARE(Settings::defaultMirrorPort(), 9200);
}

void TestSettings::startParamsFromSettings()
{
    podtap::SessionController::StartRequest r;
    r.target = u"web"_s;
    r.port = 8080;
    // Nothing set: no image (the daemon's default), no limits.
    podtap::SessionStartRequest p = podtap::SessionController::startRequest(r);
    QVERIFY(p.image.isEmpty());
    QCOMPARE(p.limits.maxBytes, qint64(0));
    QCOMPARE(p.limits.maxAgeSeconds, qint64(0));
    QCOMPARE(p.limits.durationSeconds, qint64(0));

    Settings::setKubeconfigPaths({u"/etc/podtap-test/kubeconfig"_s});
    Settings::setTapImage(u"reg.local/tap@sha256:"_s + QString(64, u'b'));
    Settings::setMaxMegabytes(10);
    Settings::setMaxAgeSeconds(120);
    Settings::setDurationSeconds(30);
    p = podtap::SessionController::startRequest(r);
    QCOMPARE(p.kubeconfig, QStringList({u"/etc/podtap-test/kubeconfig"_s}));
    QCOMPARE(p.image, u"reg.local/tap@sha256:"_s + QString(64, u'b'));
    QCOMPARE(p.limits.maxBytes, qint64(10 * 1024 * 1024));
    QCOMPARE(p.limits.maxAgeSeconds, qint64(120));
    QCOMPARE(p.limits.durationSeconds, qint64(30));
    // On the wire as docs/ipc.md has it.
    const QJsonObject json = p.toJson();
    QCOMPARE(json.value(u"kubeconfig"_s).toArray(), QJsonArray({u"/etc/podtap-test/kubeconfig"_s}));
    QCOMPARE(json.value(u"limits"_s).toObject().value(u"maxBytes"_s).toInteger(), 10 * 1024 * 1024);

    // What the request says wins.
    r.kubeconfig = {u"/tmp/other"_s};
    r.image = u"nicolaka/netshoot:v0.16"_s;
    r.maxBytes = 0;
    r.maxAgeSeconds = 0;
    r.durationSeconds = 5;
    p = podtap::SessionController::startRequest(r);
    QCOMPARE(p.kubeconfig, QStringList({u"/tmp/other"_s}));
    QCOMPARE(p.image, u"nicolaka/netshoot:v0.16"_s);
    QCOMPARE(p.limits.maxBytes, qint64(0));
    QCOMPARE(p.limits.durationSeconds, qint64(5));
}

void TestSettings::startAtLogin()
{
    using podtap::LoginAutostart;
    QVERIFY(!LoginAutostart::isEnabled());
    {
        podtap::SettingsDialog dialog;
        auto *box = dialog.findChild<QCheckBox *>(u"startAtLogin"_s);
        QVERIFY(box && !box->isChecked());
        box->setChecked(true);
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
    }
    QVERIFY(LoginAutostart::isEnabled());
    QFile f(LoginAutostart::path());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray entry = f.readAll();
    QVERIFY2(entry.contains(" --minimized\n") && entry.contains("\nExec="), entry.constData());
    if (!QStandardPaths::findExecutable(u"desktop-file-validate"_s).isEmpty()) {
        QProcess v;
        v.start(u"desktop-file-validate"_s, {LoginAutostart::path()});
        QVERIFY(v.waitForFinished(10000));
        QVERIFY2(v.exitCode() == 0, v.readAll().constData());
    }
    // A path with a space is quoted as the Desktop Entry spec says.
    QVERIFY(LoginAutostart::entry(u"/opt/my apps/podtap-gui"_s)
                    .contains("Exec=\"/opt/my apps/podtap-gui\" --minimized\n"));
    {
        podtap::SettingsDialog dialog;
        auto *box = dialog.findChild<QCheckBox *>(u"startAtLogin"_s);
        QVERIFY(box->isChecked());
        box->setChecked(false);
        dialog.accept();
    }
    QVERIFY(!QFile::exists(LoginAutostart::path()));
    // Cannot be written (the folder is a file): the dialog stays open and says why.
    const QString folder = QFileInfo(LoginAutostart::path()).path();
    QVERIFY(QDir(folder).removeRecursively());
    {
        QFile blocker(folder);
        QVERIFY(blocker.open(QIODevice::WriteOnly));
    }
    {
        podtap::SettingsDialog dialog;
        dialog.findChild<QCheckBox *>(u"startAtLogin"_s)->setChecked(true);
        dialog.accept();
        QVERIFY(dialog.result() != int(QDialog::Accepted));
        auto *error = dialog.findChild<QLabel *>(u"saveError"_s);
        QVERIFY(error && error->text().contains(u"cannot"_s));
    }
    QVERIFY(QFile::remove(folder));
    QVERIFY(!LoginAutostart::isEnabled());
}

void TestSettings::onlyKnownKeysNoSecrets()
{
    // The start parameters carry the environment (exec credential plugins need it): it must
    // never reach the settings file.
    qputenv("PODTAP_TEST_TOKEN", "s3cr3t-t0ken-value");
    Settings::setKubeconfigPaths({u"/home/me/.kube/config"_s});
    Settings::setTapImage(u"nicolaka/netshoot:v0.16"_s);
    Settings::setTapProfile(u"nonroot"_s);
    Settings::setMaxMegabytes(1);
    Settings::setMaxAgeSeconds(2);
    Settings::setDurationSeconds(3);
    Settings::setMirrorJoinMidstream(true);
    Settings::setDefaultMirrorPort(9001);
    Settings::setStartMinimized(true);
    Settings::setRecentTargetCount(4);
    Settings::setWiresharkSetting(u"wireshark"_s);
    podtap::RecentTargets recent;
    recent.add({u"prod"_s, u"shop"_s, u"deployment/web"_s, 8080, 9001});
    podtap::SessionController::StartRequest r;
    r.target = u"web"_s;
    r.port = 8080;
    const podtap::SessionStartRequest p = podtap::SessionController::startRequest(r);
    QCOMPARE(p.environment.value(u"PODTAP_TEST_TOKEN"_s), u"s3cr3t-t0ken-value"_s);

    QSettings s(Settings::fileName(), QSettings::IniFormat);
    QStringList keys = s.allKeys();
    keys.sort();
    QStringList known = Settings::knownKeys();
    known.sort();
    QCOMPARE(keys, known); // every key written, and nothing else
    QFile f(Settings::fileName());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    qInfo("settings file: %lld bytes, %lld keys", qint64(text.size()), qint64(keys.size()));
    for (const char *word : {"s3cr3t", "token", "password", "secret", "client-key",
                             "client-certificate", "bearer", "environment"})
        QVERIFY2(!text.toLower().contains(word), word);
}

QTEST_MAIN(TestSettings)
#include "tst_settings.moc"
