#pragma once

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;

namespace podtap {

// Edits Settings: kubeconfig files, the tap image (with a warning when it is not pinned),
// capture limits, mirror defaults, start in the tray, how many recent targets the tray
// offers. OK writes them; nothing here is a secret.
class SettingsDialog : public QDialog
{
    Q_OBJECT

public:
    explicit SettingsDialog(QWidget *parent = nullptr);

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
};

} // namespace podtap
