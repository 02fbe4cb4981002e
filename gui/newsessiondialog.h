#pragma once

#include "sessioncontroller.h"

#include <QDialog>

class QCheckBox;
class QDialogButtonBox;
class QLineEdit;
class QRadioButton;
class QSpinBox;

namespace podtap {

// "New capture/mirror": where to tap (context, namespace, target, port; free entry) and
// whether to mirror to a local port. The target picker with its preflight checklist
// replaces the free entry later.
class NewSessionDialog : public QDialog
{
    Q_OBJECT

public:
    explicit NewSessionDialog(QWidget *parent = nullptr);

    SessionController::StartRequest request() const;
    void setRequest(const SessionController::StartRequest &request);
    // Why OK is disabled, or empty.
    QString problem() const;

private:
    void validate();

    QLineEdit *m_kubeconfig;
    QLineEdit *m_context;
    QLineEdit *m_namespace;
    QLineEdit *m_target;
    QSpinBox *m_port;
    QRadioButton *m_captureOnly;
    QRadioButton *m_mirror;
    QSpinBox *m_mirrorPort;
    QCheckBox *m_joinMidstream;
    QDialogButtonBox *m_buttons;
};

} // namespace podtap
