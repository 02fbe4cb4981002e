#include "followstreamview.h"

#include "daemonclient.h"
#include "daemonlink.h"
#include "displayformat.h"

#include <QFontDatabase>
#include <QJsonArray>
#include <QPalette>
#include <QTextCharFormat>
#include <QTextCursor>

#include <algorithm>

namespace podtap {

namespace {
// Client and pod colours that read on light and dark palettes alike: the hue is fixed, the
// lightness follows the base colour.
QColor directionColour(int direction, const QPalette &palette)
{
    const bool dark = palette.color(QPalette::Base).lightness() < 128;
    if (direction == 0)
        return dark ? QColor(0xff, 0x8a, 0x80) : QColor(0xb7, 0x1c, 0x1c);
    return dark ? QColor(0x82, 0xb1, 0xff) : QColor(0x0d, 0x47, 0xa1);
}

QString printable(const QByteArray &data)
{
    // Text as text; other bytes as dots, so that a binary protocol stays readable as lengths.
    QString s;
    s.reserve(data.size());
    for (const char c : data) {
        if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t')
            s += QLatin1Char(c);
        else if (c != '\r')
            s += QChar(0x00b7);
    }
    return s;
}
} // namespace

FollowStreamView::FollowStreamView(DaemonLink *link, QWidget *parent)
    : QTextEdit(parent)
    , m_link(link)
{
    setReadOnly(true);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setPlaceholderText(QStringLiteral("Select a connection to follow its stream"));
}

void FollowStreamView::load(const QString &sessionId, qint64 connection)
{
    ++m_generation;
    m_stream = {};
    clear();
    m_loading = false;
    if (sessionId.isEmpty() || connection == 0 || !m_link)
        return;
    m_loading = true;
    setPlaceholderText(QStringLiteral("Reassembling connection %1…").arg(connection));
    const quint64 generation = m_generation;
    DaemonClient(m_link).sessionStream(QJsonObject{{QStringLiteral("id"), sessionId},
                                                   {QStringLiteral("connection"), connection},
                                                   {QStringLiteral("maxBytes"), m_maxBytes}},
                                       this, [this, generation](const DaemonClient::JsonAnswer &r) {
                                           if (generation != m_generation)
                                               return;
                                           m_loading = false;
                                           if (!r.ok()) {
                                               setPlaceholderText(r.error.message);
                                               Q_EMIT failed(r.error.message);
                                               return;
                                           }
                                           setStream(r.value);
                                           Q_EMIT loaded();
                                       });
}

void FollowStreamView::setStream(const QJsonObject &stream)
{
    m_stream = stream;
    clear();
    // Chunks and gaps in one sequence: a gap goes before the chunk of its direction that
    // starts at or after its offset.
    struct Piece
    {
        int direction;
        qint64 offset;
        qint64 gap; // > 0: a gap of this many bytes
        QByteArray data;
    };
    QList<Piece> pieces;
    const QJsonArray chunks = stream.value(QLatin1String("chunks")).toArray();
    QList<QJsonObject> gaps;
    for (const QJsonValue g : stream.value(QLatin1String("gaps")).toArray())
        gaps << g.toObject();
    for (const QJsonValue v : chunks) {
        const QJsonObject c = v.toObject();
        const int dir = c.value(QLatin1String("direction")).toInt();
        const qint64 offset = c.value(QLatin1String("offset")).toInteger();
        for (auto it = gaps.begin(); it != gaps.end();) {
            if (it->value(QLatin1String("direction")).toInt() == dir
                && it->value(QLatin1String("offset")).toInteger() < offset + 1) {
                pieces.append({dir,
                               it->value(QLatin1String("offset")).toInteger(),
                               it->value(QLatin1String("length")).toInteger(),
                               {}});
                it = gaps.erase(it);
            } else {
                ++it;
            }
        }
        pieces.append(
                {dir, offset, 0,
                 QByteArray::fromBase64(c.value(QLatin1String("data")).toString().toLatin1())});
    }
    for (const QJsonObject &g : std::as_const(gaps))
        pieces.append({g.value(QLatin1String("direction")).toInt(),
                       g.value(QLatin1String("offset")).toInteger(),
                       g.value(QLatin1String("length")).toInteger(),
                       {}});

    QTextCursor cursor(document());
    const QPalette pal = palette();
    QTextCharFormat note;
    note.setForeground(pal.color(QPalette::PlaceholderText));
    note.setFontItalic(true);
    int lastDirection = -1;
    bool endsWithNewline = true;
    for (const Piece &p : std::as_const(pieces)) {
        if (p.gap > 0) {
            cursor.insertText(QStringLiteral("\n[%1 bytes missing]\n").arg(p.gap), note);
            continue;
        }
        QTextCharFormat f;
        f.setForeground(directionColour(p.direction, pal));
        // A turn of the conversation starts on a new line, as in Wireshark's Follow Stream.
        if (p.direction != lastDirection && lastDirection >= 0 && !endsWithNewline)
            cursor.insertText(QStringLiteral("\n"));
        const QString text = printable(p.data);
        cursor.insertText(text, f);
        lastDirection = p.direction;
        endsWithNewline = text.endsWith(QLatin1Char('\n'));
    }
    const qint64 c2s = stream.value(QLatin1String("c2sBytes")).toInteger();
    const qint64 s2c = stream.value(QLatin1String("s2cBytes")).toInteger();
    QString summary = QStringLiteral("\n\n— client → pod %1, pod → client %2")
                              .arg(DisplayFormat::bytes(c2s), DisplayFormat::bytes(s2c));
    if (stream.value(QLatin1String("truncated")).toBool())
        summary += QStringLiteral("; truncated: only the first %1 are shown")
                           .arg(DisplayFormat::bytes(m_maxBytes));
    cursor.insertText(summary, note);
    moveCursor(QTextCursor::Start);
}

} // namespace podtap
