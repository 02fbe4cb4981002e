#include "protectedcontextdialog.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace podtap {

ProtectedContextDialog::ProtectedContextDialog(const QString &context, const QString &why,
                                               QWidget *parent)
    : QDialog(parent)
    , m_context(context)
    , m_input(new QLineEdit(this))
{
    setWindowTitle(QStringLiteral("Protected context: %1").arg(context));
    auto *layout = new QVBoxLayout(this);
    auto *badge = new QLabel(QStringLiteral("PRODUCTION"), this);
    badge->setObjectName(QStringLiteral("protectedBadge"));
    badge->setStyleSheet(QStringLiteral("QLabel { background: #b00020; color: white; "
                                        "font-weight: bold; padding: 2px 8px; }"));
    badge->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
    layout->addWidget(badge);
    auto *text = new QLabel(
            QStringLiteral("<p>The context guard protects <b>%1</b>: %2</p><p>Tapping it adds a "
                           "container to a production pod and copies its traffic. Type the "
                           "context's name to go ahead.</p>")
                    .arg(context.toHtmlEscaped(), why.toHtmlEscaped()),
            this);
    text->setWordWrap(true);
    layout->addWidget(text);
    m_input->setObjectName(QStringLiteral("confirmContext"));
    m_input->setPlaceholderText(context);
    layout->addWidget(m_input);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(QStringLiteral("Tap %1").arg(context));
    m_ok->setEnabled(false);
    buttons->button(QDialogButtonBox::Cancel)->setDefault(true);
    layout->addWidget(buttons);
    connect(m_input, &QLineEdit::textChanged, this,
            [this](const QString &t) { m_ok->setEnabled(matches(t, m_context)); });
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        if (matches(m_input->text(), m_context))
            accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

bool ProtectedContextDialog::matches(const QString &typed, const QString &context)
{
    // Exact (case too): the point is to read the name, not to get past a box.
    return !context.isEmpty() && typed.trimmed() == context;
}

} // namespace podtap
