#pragma once

#include <QByteArray>
#include <QPlainTextEdit>

namespace podtap {

// One packet's bytes as a hex dump: offset, 16 bytes in hex, the same as ASCII (dots for
// what is not printable), as Wireshark's byte pane and `tcpdump -X` lay them out.
class HexView : public QPlainTextEdit
{
    Q_OBJECT

public:
    explicit HexView(QWidget *parent = nullptr);

    void setBytes(const QByteArray &bytes, const QString &caption = {});
    QByteArray bytes() const { return m_bytes; }
    static QString format(const QByteArray &bytes);

private:
    QByteArray m_bytes;
};

} // namespace podtap
