#include "newsessiondialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace podtap {

NewSessionDialog::NewSessionDialog(QWidget *parent)
    : QDialog(parent)
    , m_kubeconfig(new QLineEdit(this))
    , m_context(new QLineEdit(this))
    , m_namespace(new QLineEdit(this))
    , m_target(new QLineEdit(this))
    , m_port(new QSpinBox(this))
    , m_captureOnly(new QRadioButton(QStringLiteral("&Capture only (stored, exportable)"), this))
    , m_mirror(new QRadioButton(QStringLiteral("Capture and &mirror to local port"), this))
    , m_mirrorPort(new QSpinBox(this))
    , m_joinMidstream(new QCheckBox(QStringLiteral("Also mirror connections already open"), this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(QStringLiteral("New capture or mirror"));
    m_kubeconfig->setObjectName(QStringLiteral("kubeconfig"));
    m_kubeconfig->setText(qEnvironmentVariable("KUBECONFIG"));
    m_kubeconfig->setPlaceholderText(QStringLiteral("$KUBECONFIG or ~/.kube/config"));
    m_context->setObjectName(QStringLiteral("context"));
    m_context->setPlaceholderText(QStringLiteral("the kubeconfig's current context"));
    m_namespace->setObjectName(QStringLiteral("namespace"));
    m_namespace->setPlaceholderText(QStringLiteral("the context's namespace"));
    m_target->setObjectName(QStringLiteral("target"));
    m_target->setPlaceholderText(
            QStringLiteral("pod, namespace/pod, deployment/NAME, statefulset/NAME, service/NAME"));
    m_port->setObjectName(QStringLiteral("port"));
    m_port->setRange(1, 65535);
    m_port->setValue(8080);
    m_mirrorPort->setObjectName(QStringLiteral("mirrorPort"));
    m_mirrorPort->setRange(1, 65535);
    m_mirrorPort->setValue(9000);
    m_mirrorPort->setPrefix(QStringLiteral("127.0.0.1:"));
    m_captureOnly->setChecked(true);

    auto *form = new QFormLayout;
    form->addRow(QStringLiteral("&Kubeconfig:"), m_kubeconfig);
    form->addRow(QStringLiteral("C&ontext:"), m_context);
    form->addRow(QStringLiteral("&Namespace:"), m_namespace);
    form->addRow(QStringLiteral("&Target:"), m_target);
    form->addRow(QStringLiteral("&Port to tap:"), m_port);
    form->addRow(m_captureOnly);
    form->addRow(m_mirror);
    form->addRow(QStringLiteral("&Local port:"), m_mirrorPort);
    form->addRow(m_joinMidstream);
    auto *hint = new QLabel(QStringLiteral("podtap adds an ephemeral tap container (NET_RAW only) "
                                           "to each pod; the pods keep running unchanged."),
                            this);
    hint->setWordWrap(true);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(hint);
    layout->addWidget(m_buttons);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_target, &QLineEdit::textChanged, this, &NewSessionDialog::validate);
    connect(m_mirror, &QRadioButton::toggled, this, &NewSessionDialog::validate);
    validate();
    m_target->setFocus();
}

QString NewSessionDialog::problem() const
{
    if (m_target->text().trimmed().isEmpty())
        return QStringLiteral("Name the pod, deployment, statefulset or service to tap.");
    return {};
}

void NewSessionDialog::validate()
{
    m_mirrorPort->setEnabled(m_mirror->isChecked());
    m_joinMidstream->setEnabled(m_mirror->isChecked());
    const QString why = problem();
    QPushButton *ok = m_buttons->button(QDialogButtonBox::Ok);
    ok->setEnabled(why.isEmpty());
    ok->setToolTip(why);
    ok->setText(m_mirror->isChecked() ? QStringLiteral("Start mirror")
                                      : QStringLiteral("Start capture"));
}

SessionController::StartRequest NewSessionDialog::request() const
{
    SessionController::StartRequest r;
    r.kubeconfig = m_kubeconfig->text().split(QLatin1Char(':'), Qt::SkipEmptyParts);
    r.context = m_context->text().trimmed();
    r.ns = m_namespace->text().trimmed();
    r.target = m_target->text().trimmed();
    r.port = m_port->value();
    r.mirrorPort = m_mirror->isChecked() ? m_mirrorPort->value() : 0;
    r.joinMidstream = m_mirror->isChecked() && m_joinMidstream->isChecked();
    return r;
}

void NewSessionDialog::setRequest(const SessionController::StartRequest &request)
{
    m_kubeconfig->setText(request.kubeconfig.join(QLatin1Char(':')));
    m_context->setText(request.context);
    m_namespace->setText(request.ns);
    m_target->setText(request.target);
    m_port->setValue(request.port > 0 ? request.port : 8080);
    m_mirror->setChecked(request.mirrorPort > 0);
    m_captureOnly->setChecked(request.mirrorPort <= 0);
    if (request.mirrorPort > 0)
        m_mirrorPort->setValue(request.mirrorPort);
    m_joinMidstream->setChecked(request.joinMidstream);
    validate();
}

} // namespace podtap
