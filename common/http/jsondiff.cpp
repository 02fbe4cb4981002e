#include "jsondiff.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace podtap {

namespace {

QJsonValue parse(const QByteArray &bytes, bool *ok)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    *ok = error.error == QJsonParseError::NoError;
    if (!*ok)
        return {};
    if (doc.isObject())
        return doc.object();
    if (doc.isArray())
        return doc.array();
    return {};
}

QString excerpt(const QJsonValue &v)
{
    QString text;
    if (v.isObject())
        text = QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    else if (v.isArray())
        text = QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    else if (v.isString())
        text = QLatin1Char('"') + v.toString() + QLatin1Char('"');
    else if (v.isDouble())
        text = QString::number(v.toDouble(), 'g', 17);
    else if (v.isBool())
        text = v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    else
        text = QStringLiteral("null");
    return text.size() > 200 ? text.left(199) + QChar(0x2026) : text;
}

void note(JsonDiff::Result *out, const QString &path, int maxPaths, const QJsonValue *a = nullptr,
          const QJsonValue *b = nullptr)
{
    ++out->differences;
    if (out->paths.size() >= maxPaths)
        return;
    out->paths << path;
    QJsonObject v{{QStringLiteral("path"), path}};
    if (a)
        v[QLatin1String("pod")] = excerpt(*a);
    if (b)
        v[QLatin1String("local")] = excerpt(*b);
    out->values.append(v);
}

QString memberPath(const QString &path, const QString &key)
{
    bool plain = !key.isEmpty();
    for (const QChar c : key)
        plain = plain && (c.isLetterOrNumber() || c == QLatin1Char('_'));
    if (plain)
        return path + QLatin1Char('.') + key;
    return path + QStringLiteral("[\"") + key + QStringLiteral("\"]");
}

} // namespace

JsonDiff::Result JsonDiff::compare(const QByteArray &a, const QByteArray &b, int maxPaths)
{
    Result r;
    bool okA = false;
    bool okB = false;
    const QJsonValue va = parse(a, &okA);
    const QJsonValue vb = parse(b, &okB);
    r.bothJson = okA && okB;
    if (!r.bothJson)
        return r;
    compareValues(va, vb, QStringLiteral("$"), &r, maxPaths);
    r.equal = r.differences == 0;
    return r;
}

void JsonDiff::compareValues(const QJsonValue &a, const QJsonValue &b, const QString &path,
                             Result *out, int maxPaths)
{
    if (a.type() != b.type()) {
        note(out, path, maxPaths, &a, &b);
        return;
    }
    if (a.isObject()) {
        const QJsonObject oa = a.toObject();
        const QJsonObject ob = b.toObject();
        for (auto it = oa.begin(); it != oa.end(); ++it) {
            const QString p = memberPath(path, it.key());
            const auto other = ob.constFind(it.key());
            if (other == ob.constEnd()) {
                const QJsonValue v = it.value();
                note(out, p + QStringLiteral(" (only in the pod's)"), maxPaths, &v);
            } else
                compareValues(it.value(), other.value(), p, out, maxPaths);
        }
        for (auto it = ob.begin(); it != ob.end(); ++it) {
            if (!oa.contains(it.key())) {
                const QJsonValue v = it.value();
                note(out, memberPath(path, it.key()) + QStringLiteral(" (only in the local)"),
                     maxPaths, nullptr, &v);
            }
        }
        return;
    }
    if (a.isArray()) {
        const QJsonArray aa = a.toArray();
        const QJsonArray ab = b.toArray();
        const qsizetype n = std::min(aa.size(), ab.size());
        for (qsizetype i = 0; i < n; ++i)
            compareValues(aa.at(i), ab.at(i),
                          path + QLatin1Char('[') + QString::number(i) + QLatin1Char(']'), out,
                          maxPaths);
        if (aa.size() != ab.size())
            note(out, path + QStringLiteral(" (length %1 ≠ %2)").arg(aa.size()).arg(ab.size()),
                 maxPaths);
        return;
    }
    if (a != b)
        note(out, path, maxPaths, &a, &b);
}

} // namespace podtap
