#include "placeholderstack.h"

#include <QLabel>
#include <QVBoxLayout>

namespace podtap {

PlaceholderStack::PlaceholderStack(QWidget *content, QWidget *parent)
    : QStackedWidget(parent)
    , m_content(content)
    , m_messagePage(new QWidget(this))
    , m_title(new QLabel(m_messagePage))
    , m_text(new QLabel(m_messagePage))
{
    auto *layout = new QVBoxLayout(m_messagePage);
    layout->addStretch(1);
    QFont big = m_title->font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    big.setBold(true);
    m_title->setFont(big);
    m_title->setAlignment(Qt::AlignHCenter);
    m_title->setObjectName(QStringLiteral("placeholderTitle"));
    m_text->setAlignment(Qt::AlignHCenter);
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_text->setObjectName(QStringLiteral("placeholderText"));
    layout->addWidget(m_title);
    layout->addWidget(m_text);
    layout->addStretch(2);
    addWidget(m_content);
    addWidget(m_messagePage);
}

void PlaceholderStack::showContent()
{
    setCurrentWidget(m_content);
}

void PlaceholderStack::showMessage(const QString &title, const QString &text)
{
    m_title->setText(title);
    m_text->setText(text);
    setCurrentWidget(m_messagePage);
}

bool PlaceholderStack::isShowingMessage() const
{
    return currentWidget() == m_messagePage;
}

QString PlaceholderStack::messageTitle() const
{
    return m_title->text();
}

QString PlaceholderStack::messageText() const
{
    return m_text->text();
}

} // namespace podtap
