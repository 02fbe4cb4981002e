#pragma once

#include <QDialog>
#include <QJsonObject>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;

namespace podtap {

class DaemonLink;

// Edits Settings: kubeconfig files, the tap image (with a warning when it is not pinned),
// capture limits, mirror defaults, start in the tray, how many recent targets the tray
// offers. OK writes them; nothing here is a secret. With a DaemonLink it also shows podtapd's
// store retention (quota, age), which lives in the daemon: retentionChange() is what to send.
class SettingsDialog : public QDialog
{
    Q_OBJECT

public:
    explicit SettingsDialog(QWidget *parent = nullptr, DaemonLink *link = nullptr);

    // store.retention params for the edited quota/age; empty when unchanged (or no daemon).
    QJsonObject retentionChange() const;

    QString imageWarningText() const;
    void save();

    void accept() override;

private:
    void updateWarning();

    QPlainTextEdit *m_kubeconfig;
    QLineEdit *m_image;
    QComboBox *m_profile;
    QLabel *m_imageWarning;
    QSpinBox *m_maxMb;
    QSpinBox *m_maxAgeMinutes;
    QSpinBox *m_durationMinutes;
    QCheckBox *m_joinMidstream;
    QSpinBox *m_mirrorPort;
    QCheckBox *m_startMinimized;
    QCheckBox *m_startAtLogin; // LoginAutostart: a file, not a QSettings key
    QLabel *m_saveError;
    QSpinBox *m_recentCount;
    QLineEdit *m_wireshark;
    QLineEdit *m_storeQuota;
    QLineEdit *m_storeMaxAge;
    QLabel *m_storeUse;
    QString m_loadedQuota; // as podtapd said; empty until it answered
    QString m_loadedMaxAge;
};

} // namespace podtap
