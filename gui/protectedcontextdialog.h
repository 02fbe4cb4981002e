#pragma once

#include <QDialog>

class QLineEdit;
class QPushButton;

namespace podtap {

// The context guard's confirmation: tapping a protected (production) context needs its name
// typed, exactly; a click is not enough. OK stays disabled until the text matches.
class ProtectedContextDialog : public QDialog
{
    Q_OBJECT

public:
    ProtectedContextDialog(const QString &context, const QString &why, QWidget *parent = nullptr);

    static bool matches(const QString &typed, const QString &context);
    QLineEdit *input() const { return m_input; }
    QPushButton *okButton() const { return m_ok; }

private:
    QString m_context;
    QLineEdit *m_input;
    QPushButton *m_ok;
};

} // namespace podtap
