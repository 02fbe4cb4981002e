#include "protobufwirehtml.h"

#include <QHash>
#include <QJsonObject>
#include <QRegularExpression>

namespace podtap {

namespace {
const QString Marked = QStringLiteral("background:#ffd7d5; color:#8e1b12");
constexpr int MaxBytesShown = 48;

QString scalar(const QJsonObject &f)
{
    if (f.contains(QLatin1String("text")))
        return QLatin1Char('"') + f.value(QLatin1String("text")).toString().toHtmlEscaped()
               + QLatin1Char('"');
    if (f.contains(QLatin1String("bytes"))) {
        const QByteArray b
                = QByteArray::fromBase64(f.value(QLatin1String("bytes")).toString().toLatin1());
        return QStringLiteral("0x") + QString::fromLatin1(b.left(MaxBytesShown).toHex())
               + (b.size() > MaxBytesShown ? QStringLiteral("… (%1 bytes)").arg(b.size())
                                           : QString());
    }
    const QString type = f.value(QLatin1String("type")).toString();
    QString v = f.value(QLatin1String("value")).toString();
    if (type == QLatin1String("i64") || type == QLatin1String("i32"))
        v += QStringLiteral(" (") + type + QLatin1Char(')');
    return v;
}

// `path` numbers every level ("$[0].2.1"); `named` uses a field's name where the JSON has one
// (a descriptor set's annotation: "$[0].detail.serial"), as the comparator's paths do then.
void fieldsHtml(const QJsonArray &fields, const QString &path, const QString &named, int depth,
                const QSet<QString> &marked, QString *out)
{
    QHash<qint64, int> seen; // occurrences of each field number so far
    QHash<qint64, int> count;
    for (const QJsonValue v : fields)
        ++count[v[QLatin1String("field")].toInteger()];
    const QString pad(depth * 2, QLatin1Char(' '));
    for (const QJsonValue v : fields) {
        const QJsonObject f = v.toObject();
        const qint64 number = f.value(QLatin1String("field")).toInteger();
        const QString name = f.value(QLatin1String("name")).toString();
        const int k = seen[number]++;
        const QString occurrence
                = count.value(number) > 1 ? QStringLiteral("[%1]").arg(k) : QString();
        const QString own = path + QLatin1Char('.') + QString::number(number) + occurrence;
        const QString ownNamed = named + QLatin1Char('.')
                                 + (name.isEmpty() ? QString::number(number) : name) + occurrence;
        const bool hit = marked.contains(own) || marked.contains(ownNamed);
        const QString open = hit ? QStringLiteral("<span style=\"%1\">").arg(Marked) : QString();
        const QString close = hit ? QStringLiteral("</span>") : QString();
        const QString label = QString::number(number)
                              + (name.isEmpty() ? QString()
                                                : QStringLiteral(" (") + name.toHtmlEscaped()
                                                          + QLatin1Char(')'));
        if (f.contains(QLatin1String("message"))) {
            *out += pad + open + label + QStringLiteral(" {") + close + QLatin1Char('\n');
            fieldsHtml(f.value(QLatin1String("message")).toArray(), own, ownNamed, depth + 1,
                       marked, out);
            *out += pad + open + QLatin1Char('}') + close + QLatin1Char('\n');
        } else {
            *out += pad + open + label + QStringLiteral(": ") + scalar(f) + close
                    + QLatin1Char('\n');
        }
    }
}
} // namespace

QString ProtobufWireHtml::messages(const QJsonArray &messages, const QSet<QString> &marked)
{
    if (messages.isEmpty())
        return QStringLiteral("<p><i>no messages</i></p>");
    QString html;
    for (qsizetype i = 0; i < messages.size(); ++i) {
        const QJsonObject m = messages.at(i).toObject();
        const QString path = QStringLiteral("$[%1]").arg(i);
        html += QStringLiteral("<p style=\"margin-bottom:0\">message %1 · %2 bytes%3</p>")
                        .arg(i + 1)
                        .arg(m.value(QLatin1String("length")).toInteger())
                        .arg(m.value(QLatin1String("compressed")).toBool()
                                     ? QStringLiteral(" · compressed")
                                     : QString());
        QString body;
        if (m.contains(QLatin1String("fields")))
            fieldsHtml(m.value(QLatin1String("fields")).toArray(), path, path, 0, marked, &body);
        else if (m.contains(QLatin1String("error")))
            body = QStringLiteral("(") + m.value(QLatin1String("error")).toString().toHtmlEscaped()
                   + QStringLiteral(")\n");
        else if (m.contains(QLatin1String("bytes")))
            body = scalar(m) + QStringLiteral(" (not a protobuf message)\n");
        else
            body = QStringLiteral("(contents not stored)\n");
        if (body.isEmpty())
            body = QStringLiteral("(empty message)\n");
        const bool whole = marked.contains(path);
        html += QStringLiteral("<pre style=\"margin-top:0%1\">%2</pre>")
                        .arg(whole ? QStringLiteral("; ") + Marked : QString(), body);
    }
    return html;
}

QString ProtobufWireHtml::pathLabel(const QString &path)
{
    static const QRegularExpression message(QStringLiteral("^\\$\\[(\\d+)\\]"));
    static const QRegularExpression step(
            QStringLiteral("\\.(\\d+|[A-Za-z_][A-Za-z0-9_]*)(?:\\[(\\d+)\\])?"));
    const QRegularExpressionMatch m = message.match(path);
    if (!m.hasMatch())
        return path;
    QString label = QStringLiteral("message %1").arg(m.captured(1).toInt() + 1);
    qsizetype at = m.capturedEnd();
    while (at < path.size()) {
        const QRegularExpressionMatch s = step.match(path, at, QRegularExpression::NormalMatch,
                                                     QRegularExpression::AnchorAtOffsetMatchOption);
        if (!s.hasMatch())
            return path; // not a protobuf path after all
        const bool number = s.captured(1).at(0).isDigit();
        label += (number ? QStringLiteral(" › field ") : QStringLiteral(" › ")) + s.captured(1);
        if (s.hasCaptured(2))
            label += QStringLiteral(" #%1").arg(s.captured(2).toInt() + 1);
        at = s.capturedEnd();
    }
    return label;
}

} // namespace podtap
