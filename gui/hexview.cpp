#include "hexview.h"

#include <QFontDatabase>

namespace podtap {

HexView::HexView(QWidget *parent)
    : QPlainTextEdit(parent)
{
    setReadOnly(true);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setPlaceholderText(QStringLiteral("Select a packet to see its bytes"));
}

void HexView::setBytes(const QByteArray &bytes, const QString &caption)
{
    m_bytes = bytes;
    setPlainText(caption.isEmpty() ? format(bytes) : caption + QLatin1Char('\n') + format(bytes));
}

QString HexView::format(const QByteArray &bytes)
{
    static const char digits[] = "0123456789abcdef";
    QString out;
    const qsizetype lines = (bytes.size() + 15) / 16;
    out.reserve(lines * 76);
    for (qsizetype line = 0; line < lines; ++line) {
        const qsizetype at = line * 16;
        out += QStringLiteral("%1  ").arg(at, 4, 16, QLatin1Char('0'));
        for (int i = 0; i < 16; ++i) {
            if (at + i < bytes.size()) {
                const auto b = quint8(bytes.at(at + i));
                out += QLatin1Char(digits[b >> 4]);
                out += QLatin1Char(digits[b & 15]);
                out += QLatin1Char(' ');
            } else {
                out += QStringLiteral("   ");
            }
            if (i == 7)
                out += QLatin1Char(' ');
        }
        out += QLatin1Char(' ');
        for (int i = 0; i < 16 && at + i < bytes.size(); ++i) {
            const char c = bytes.at(at + i);
            out += (c >= 0x20 && c < 0x7f) ? QLatin1Char(c) : QLatin1Char('.');
        }
        if (line + 1 < lines)
            out += QLatin1Char('\n');
    }
    return out;
}

} // namespace podtap
