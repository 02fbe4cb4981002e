#include "selector.h"

#include <QRegularExpression>

namespace kubesim {

namespace {

// Splits on commas outside parentheses.
QStringList splitTop(const QString &text)
{
    QStringList out;
    int depth = 0;
    QString cur;
    for (const QChar c : text) {
        if (c == QLatin1Char('('))
            ++depth;
        else if (c == QLatin1Char(')'))
            --depth;
        if (c == QLatin1Char(',') && depth == 0) {
            out << cur.trimmed();
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.trimmed().isEmpty())
        out << cur.trimmed();
    return out;
}

QString fieldValue(const QJsonObject &o, const QString &path, bool *known)
{
    *known = true;
    if (path == QLatin1String("metadata.name"))
        return o.value(QStringLiteral("metadata"))
                .toObject()
                .value(QStringLiteral("name"))
                .toString();
    if (path == QLatin1String("metadata.namespace"))
        return o.value(QStringLiteral("metadata"))
                .toObject()
                .value(QStringLiteral("namespace"))
                .toString();
    if (path == QLatin1String("status.phase"))
        return o.value(QStringLiteral("status"))
                .toObject()
                .value(QStringLiteral("phase"))
                .toString();
    if (path == QLatin1String("spec.nodeName"))
        return o.value(QStringLiteral("spec"))
                .toObject()
                .value(QStringLiteral("nodeName"))
                .toString();
    if (path == QLatin1String("spec.restartPolicy"))
        return o.value(QStringLiteral("spec"))
                .toObject()
                .value(QStringLiteral("restartPolicy"))
                .toString();
    *known = false;
    return {};
}

} // namespace

podtap::Result<Selector> Selector::parseLabels(const QString &text)
{
    Selector s;
    static const QRegularExpression setRe(
            QStringLiteral("^([A-Za-z0-9._/-]+)\\s+(in|notin)\\s+\\(([^)]*)\\)$"));
    static const QRegularExpression eqRe(
            QStringLiteral("^([A-Za-z0-9._/-]+)\\s*(==|!=|=)\\s*([A-Za-z0-9._-]*)$"));
    static const QRegularExpression keyRe(QStringLiteral("^(!?)\\s*([A-Za-z0-9._/-]+)$"));
    const QStringList parts = splitTop(text);
    for (const QString &p : parts) {
        QRegularExpressionMatch m = setRe.match(p);
        if (m.hasMatch()) {
            QStringList values;
            const QStringList raw = m.captured(3).split(QLatin1Char(','));
            for (const QString &v : raw)
                values << v.trimmed();
            s.m_reqs.append({m.captured(1),
                             m.captured(2) == QLatin1String("in") ? Op::In : Op::NotIn, values});
            continue;
        }
        m = eqRe.match(p);
        if (m.hasMatch()) {
            s.m_reqs.append({m.captured(1),
                             m.captured(2) == QLatin1String("!=") ? Op::NotEquals : Op::Equals,
                             {m.captured(3)}});
            continue;
        }
        m = keyRe.match(p);
        if (m.hasMatch()) {
            s.m_reqs.append(
                    {m.captured(2), m.captured(1).isEmpty() ? Op::Exists : Op::NotExists, {}});
            continue;
        }
        return podtap::Result<Selector>::failure(
                QStringLiteral("unable to parse requirement: %1").arg(p));
    }
    return s;
}

podtap::Result<Selector> Selector::parseFields(const QString &text)
{
    Selector s;
    const QStringList parts = splitTop(text);
    for (const QString &p : parts) {
        int idx = p.indexOf(QStringLiteral("!="));
        Op op = Op::NotEquals;
        int len = 2;
        if (idx < 0) {
            idx = p.indexOf(QStringLiteral("=="));
            op = Op::Equals;
        }
        if (idx < 0) {
            idx = p.indexOf(QLatin1Char('='));
            len = 1;
        }
        if (idx <= 0)
            return podtap::Result<Selector>::failure(
                    QStringLiteral("invalid selector: '%1'; can't understand '%2'").arg(text, p));
        const QString key = p.left(idx).trimmed();
        bool known = false;
        fieldValue(QJsonObject(), key, &known);
        if (!known)
            return podtap::Result<Selector>::failure(
                    QStringLiteral("field label not supported: %1").arg(key));
        s.m_reqs.append({key, op, {p.mid(idx + len).trimmed()}});
    }
    return s;
}

QString Selector::exactMatch(const QString &key) const
{
    for (const Requirement &r : m_reqs)
        if (r.key == key && r.op == Op::Equals && r.values.size() == 1)
            return r.values.constFirst();
    return QString();
}

bool Selector::matches(const Requirement &r, bool present, const QString &value)
{
    switch (r.op) {
    case Op::Equals:
        return present && value == r.values.value(0);
    case Op::NotEquals:
        return !present || value != r.values.value(0);
    case Op::In:
        return present && r.values.contains(value);
    case Op::NotIn:
        return !present || !r.values.contains(value);
    case Op::Exists:
        return present;
    case Op::NotExists:
        return !present;
    }
    return false;
}

bool Selector::matchesLabels(const QJsonObject &object) const
{
    const QJsonObject labels = object.value(QStringLiteral("metadata"))
                                       .toObject()
                                       .value(QStringLiteral("labels"))
                                       .toObject();
    for (const auto &r : m_reqs)
        if (!matches(r, labels.contains(r.key), labels.value(r.key).toString()))
            return false;
    return true;
}

bool Selector::matchesFields(const QJsonObject &object) const
{
    for (const auto &r : m_reqs) {
        bool known = false;
        if (!matches(r, true, fieldValue(object, r.key, &known)))
            return false;
    }
    return true;
}

} // namespace kubesim
