#include "settingsdialog.h"

#include "daemonclient.h"
#include "daemonlink.h"
#include "displayformat.h"
#include "loginautostart.h"
#include "retentionpolicy.h"
#include "settings.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QVBoxLayout>

namespace podtap {

namespace {
QSpinBox *spinBox(const QString &name, int max, const QString &suffix, QWidget *parent)
{
    auto *s = new QSpinBox(parent);
    s->setObjectName(name);
    s->setRange(0, max);
    s->setSuffix(suffix);
    s->setSpecialValueText(QStringLiteral("no limit"));
    return s;
}
} // namespace

SettingsDialog::SettingsDialog(QWidget *parent, DaemonLink *link)
    : QDialog(parent)
    , m_kubeconfig(new QPlainTextEdit(this))
    , m_image(new QLineEdit(this))
    , m_profile(new QComboBox(this))
    , m_imageWarning(new QLabel(this))
    , m_maxMb(spinBox(QStringLiteral("maxMegabytes"), 1000000, QStringLiteral(" MB"), this))
    , m_maxAgeMinutes(
              spinBox(QStringLiteral("maxAgeMinutes"), 100000, QStringLiteral(" min"), this))
    , m_durationMinutes(
              spinBox(QStringLiteral("durationMinutes"), 100000, QStringLiteral(" min"), this))
    , m_joinMidstream(new QCheckBox(QStringLiteral("Also mirror connections already open"), this))
    , m_mirrorPort(new QSpinBox(this))
    , m_startMinimized(new QCheckBox(QStringLiteral("Start in the system tray"), this))
    , m_startAtLogin(new QCheckBox(QStringLiteral("Start in the tray when I log in"), this))
    , m_saveError(new QLabel(this))
    , m_recentCount(new QSpinBox(this))
    , m_wireshark(new QLineEdit(this))
    , m_storeQuota(new QLineEdit(this))
    , m_storeMaxAge(new QLineEdit(this))
    , m_storeUse(new QLabel(this))
{
    setWindowTitle(QStringLiteral("podtap settings"));
    setMinimumWidth(480); // room for the image warning without a tall, narrow label
    m_kubeconfig->setObjectName(QStringLiteral("kubeconfigPaths"));
    m_kubeconfig->setPlaceholderText(QStringLiteral("One file per line; empty: $KUBECONFIG, "
                                                    "else ~/.kube/config"));
    m_kubeconfig->setTabChangesFocus(true);
    m_kubeconfig->setMaximumHeight(m_kubeconfig->fontMetrics().height() * 4 + 12);
    m_image->setObjectName(QStringLiteral("tapImage"));
    m_image->setPlaceholderText(QLatin1String(Settings::DefaultImage));
    m_profile->setObjectName(QStringLiteral("tapProfile"));
    m_profile->addItem(QStringLiteral("Default: root, no privilege escalation"),
                       QStringLiteral("default"));
    m_profile->addItem(QStringLiteral("Non-root: uid 65532, needs a tap image built for it"),
                       QStringLiteral("nonroot"));
    m_profile->addItem(QStringLiteral("Baseline: adds nothing, for Pod Security \"baseline\""),
                       QStringLiteral("baseline"));
    m_profile->setToolTip(QStringLiteral("The profile a new session starts with; the target "
                                         "picker shows it and preflight checks it."));
    m_imageWarning->setObjectName(QStringLiteral("imageWarning"));
    m_imageWarning->setWordWrap(true);
    m_imageWarning->setStyleSheet(QStringLiteral("QLabel { color: #8a4b00; }"));
    m_mirrorPort->setObjectName(QStringLiteral("defaultMirrorPort"));
    m_mirrorPort->setRange(1, 65535);
    m_mirrorPort->setPrefix(QStringLiteral("127.0.0.1:"));
    m_joinMidstream->setObjectName(QStringLiteral("joinMidstream"));
    m_startMinimized->setObjectName(QStringLiteral("startMinimized"));
    m_startAtLogin->setObjectName(QStringLiteral("startAtLogin"));
    m_startAtLogin->setToolTip(
            QStringLiteral("Writes %1 (yours only)").arg(LoginAutostart::path()));
    m_saveError->setObjectName(QStringLiteral("saveError"));
    m_saveError->setWordWrap(true);
    m_saveError->setStyleSheet(QStringLiteral("color: #b00020"));
    m_saveError->hide();
    m_recentCount->setObjectName(QStringLiteral("recentCount"));
    m_recentCount->setRange(0, 50);
    m_wireshark->setObjectName(QStringLiteral("wiresharkProgram"));
    m_wireshark->setPlaceholderText(QStringLiteral("wireshark (from PATH)"));

    m_kubeconfig->setPlainText(Settings::kubeconfigPaths().join(QLatin1Char('\n')));
    const QString image = Settings::tapImage();
    m_image->setText(image == QLatin1String(Settings::DefaultImage) ? QString() : image);
    m_profile->setCurrentIndex(qMax(0, m_profile->findData(Settings::tapProfile())));
    m_maxMb->setValue(int(qMin<qint64>(Settings::maxMegabytes(), m_maxMb->maximum())));
    m_maxAgeMinutes->setValue(int(qMin<qint64>(Settings::maxAgeSeconds() / 60, 100000)));
    m_durationMinutes->setValue(Settings::durationSeconds() / 60);
    m_joinMidstream->setChecked(Settings::mirrorJoinMidstream());
    m_mirrorPort->setValue(Settings::defaultMirrorPort());
    m_startMinimized->setChecked(Settings::startMinimized());
    m_startAtLogin->setChecked(LoginAutostart::isEnabled());
    m_recentCount->setValue(Settings::recentTargetCount());
    m_wireshark->setText(Settings::wiresharkSetting());
    connect(m_image, &QLineEdit::textChanged, this, &SettingsDialog::updateWarning);
    updateWarning();

    auto *kube = new QGroupBox(QStringLiteral("Kubernetes"), this);
    auto *kubeForm = new QFormLayout(kube);
    kubeForm->addRow(QStringLiteral("&Kubeconfig files:"), m_kubeconfig);
    kubeForm->addRow(QStringLiteral("Tap &image:"), m_image);
    kubeForm->addRow(m_imageWarning);
    kubeForm->addRow(QStringLiteral("Tap p&rofile:"), m_profile);
    auto *capture = new QGroupBox(QStringLiteral("Capture limits (per session)"), this);
    auto *captureForm = new QFormLayout(capture);
    captureForm->addRow(QStringLiteral("Keep at most:"), m_maxMb);
    captureForm->addRow(QStringLiteral("Drop packets older than:"), m_maxAgeMinutes);
    captureForm->addRow(QStringLiteral("Stop after:"), m_durationMinutes);
    // The store's retention belongs to podtapd (the CLI and .podtap.yaml set it too): shown
    // once the daemon answered, sent by the main window after OK.
    m_storeQuota->setObjectName(QStringLiteral("storeQuota"));
    m_storeQuota->setPlaceholderText(QStringLiteral("e.g. 2G, 500M, off"));
    m_storeMaxAge->setObjectName(QStringLiteral("storeMaxAge"));
    m_storeMaxAge->setPlaceholderText(QStringLiteral("e.g. 7d, 12h, off"));
    m_storeUse->setObjectName(QStringLiteral("storeUse"));
    m_storeUse->setWordWrap(true);
    m_storeQuota->setEnabled(false);
    m_storeMaxAge->setEnabled(false);
    m_storeUse->setText(QStringLiteral("podtapd is not connected: its retention cannot be shown."));
    if (link && link->isConnected()) {
        m_storeUse->setText(QStringLiteral("Asking podtapd…"));
        DaemonClient(link).storeRetention({}, this, [this](const DaemonClient::JsonAnswer &r) {
            if (!r.ok()) {
                m_storeUse->setText(r.error.message);
                return;
            }
            const QJsonObject p = r.value.value(QLatin1String("retention")).toObject();
            m_loadedQuota = p.value(QLatin1String("quota")).toString();
            m_loadedMaxAge = p.value(QLatin1String("maxAge")).toString();
            m_storeQuota->setText(m_loadedQuota);
            m_storeMaxAge->setText(m_loadedMaxAge);
            m_storeQuota->setEnabled(true);
            m_storeMaxAge->setEnabled(true);
            m_storeUse->setText(
                    QStringLiteral("%1 used in %2. The oldest stopped sessions are "
                                   "removed first; a running one never.")
                            .arg(DisplayFormat::bytes(
                                         r.value.value(QLatin1String("diskBytes")).toInteger()),
                                 r.value.value(QLatin1String("store")).toString()));
        });
    }
    auto *storeBox = new QGroupBox(QStringLiteral("Capture store (all sessions)"), this);
    auto *storeForm = new QFormLayout(storeBox);
    storeForm->addRow(QStringLiteral("Total size at most:"), m_storeQuota);
    storeForm->addRow(QStringLiteral("Keep stopped sessions for:"), m_storeMaxAge);
    storeForm->addRow(m_storeUse);
    auto *mirror = new QGroupBox(QStringLiteral("Mirror and desktop"), this);
    auto *mirrorForm = new QFormLayout(mirror);
    mirrorForm->addRow(QStringLiteral("Default local &port:"), m_mirrorPort);
    mirrorForm->addRow(m_joinMidstream);
    mirrorForm->addRow(QStringLiteral("Recent targets in the tray:"), m_recentCount);
    mirrorForm->addRow(m_startMinimized);
    mirrorForm->addRow(m_startAtLogin);
    mirrorForm->addRow(QStringLiteral("&Wireshark program:"), m_wireshark);
    auto *secrets = new QLabel(QStringLiteral("Credentials are never stored here: podtap reads "
                                              "them from the kubeconfig files when it needs "
                                              "them."),
                               this);
    secrets->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(kube);
    layout->addWidget(capture);
    layout->addWidget(storeBox);
    layout->addWidget(mirror);
    layout->addWidget(secrets);
    layout->addWidget(m_saveError);
    layout->addWidget(buttons);
}

QString SettingsDialog::imageWarningText() const
{
    return m_imageWarning->isVisibleTo(this) ? m_imageWarning->text() : QString();
}

void SettingsDialog::updateWarning()
{
    const QString warning = Settings::imageWarning(m_image->text());
    m_imageWarning->setText(warning);
    m_imageWarning->setVisible(!warning.isEmpty());
}

void SettingsDialog::save()
{
    Settings::setKubeconfigPaths(m_kubeconfig->toPlainText().split(QLatin1Char('\n')));
    Settings::setTapImage(m_image->text());
    Settings::setTapProfile(m_profile->currentData().toString());
    Settings::setMaxMegabytes(m_maxMb->value());
    Settings::setMaxAgeSeconds(qint64(m_maxAgeMinutes->value()) * 60);
    Settings::setDurationSeconds(m_durationMinutes->value() * 60);
    Settings::setMirrorJoinMidstream(m_joinMidstream->isChecked());
    Settings::setDefaultMirrorPort(m_mirrorPort->value());
    Settings::setStartMinimized(m_startMinimized->isChecked());
    Settings::setRecentTargetCount(m_recentCount->value());
    Settings::setWiresharkSetting(m_wireshark->text());
}

QJsonObject SettingsDialog::retentionChange() const
{
    if (m_loadedQuota.isEmpty())
        return {};
    QJsonObject change;
    const QString quota = m_storeQuota->text().trimmed();
    const QString age = m_storeMaxAge->text().trimmed();
    if (quota != m_loadedQuota)
        change.insert(QStringLiteral("quota"), quota);
    if (age != m_loadedMaxAge)
        change.insert(QStringLiteral("maxAge"), age);
    return change;
}

void SettingsDialog::accept()
{
    // A size or duration podtapd would refuse is refused here, before anything is saved.
    if (!m_loadedQuota.isEmpty()) {
        const auto quota = RetentionPolicy::parseSize(m_storeQuota->text());
        const auto age = RetentionPolicy::parseDuration(m_storeMaxAge->text());
        if (!quota || !age) {
            m_saveError->setText(!quota ? QStringLiteral("Store size: ") + quota.error()
                                        : QStringLiteral("Keep stopped sessions: ") + age.error());
            m_saveError->show();
            return;
        }
    }
    save();
    if (m_startAtLogin->isChecked() != LoginAutostart::isEnabled()) {
        QString error;
        if (!LoginAutostart::setEnabled(m_startAtLogin->isChecked(),
                                        LoginAutostart::defaultProgram(), &error)) {
            m_saveError->setText(error); // the rest is saved; this one says why not
            m_saveError->show();
            return;
        }
    }
    QDialog::accept();
}

} // namespace podtap
