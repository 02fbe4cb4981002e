#pragma once

#include <QStackedWidget>

class QLabel;

namespace podtap {

// A view, or in its place a short explanation of why it is empty and what to do next.
class PlaceholderStack : public QStackedWidget
{
    Q_OBJECT

public:
    explicit PlaceholderStack(QWidget *content, QWidget *parent = nullptr);

    void showContent();
    void showMessage(const QString &title, const QString &text);
    bool isShowingMessage() const;
    QString messageTitle() const;
    QString messageText() const;

private:
    QWidget *m_content;
    QWidget *m_messagePage;
    QLabel *m_title;
    QLabel *m_text;
};

} // namespace podtap
