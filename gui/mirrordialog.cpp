#include "mirrordialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QSpinBox>
#include <QVBoxLayout>

namespace podtap {

MirrorDialog::MirrorDialog(const QString &sessionTitle, int port, QWidget *parent)
    : QDialog(parent)
    , m_port(new QSpinBox(this))
    , m_joinMidstream(new QCheckBox(QStringLiteral("Also mirror connections already open"), this))
    , m_compare(new QCheckBox(QStringLiteral("&Compare the answers with the pod's (HTTP)"), this))
{
    m_compare->setObjectName(QStringLiteral("mirrorCompare"));
    m_compare->setToolTip(QStringLiteral(
            "Each request's answer from your local build is compared with the pod's: status, "
            "headers (Date, Server, request ids ignored) and body (JSON as values). See the "
            "Requests tab."));
    setWindowTitle(QStringLiteral("Mirror to local port"));
    m_port->setObjectName(QStringLiteral("mirrorPort"));
    m_port->setRange(1, 65535);
    m_port->setValue(port > 0 ? port : 9000);
    m_port->setPrefix(QStringLiteral("127.0.0.1:"));
    auto *text = new QLabel(QStringLiteral("Each new connection to %1 is replayed to a local "
                                           "server on this port, as it happens.")
                                    .arg(sessionTitle.toHtmlEscaped()),
                            this);
    text->setWordWrap(true);
    auto *form = new QFormLayout;
    form->addRow(QStringLiteral("Local &port:"), m_port);
    form->addRow(m_joinMidstream);
    form->addRow(m_compare);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(text);
    layout->addLayout(form);
    layout->addWidget(buttons);
}

int MirrorDialog::port() const
{
    return m_port->value();
}

bool MirrorDialog::joinMidstream() const
{
    return m_joinMidstream->isChecked();
}

void MirrorDialog::setJoinMidstream(bool join)
{
    m_joinMidstream->setChecked(join);
}

bool MirrorDialog::compare() const
{
    return m_compare->isChecked();
}

void MirrorDialog::setCompare(bool compare)
{
    m_compare->setChecked(compare);
}

} // namespace podtap
