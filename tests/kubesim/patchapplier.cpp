#include "patchapplier.h"

#include <QHash>
#include <QJsonArray>
#include <QStringList>

namespace kubesim {

namespace {

// Merge keys of core/v1 list fields (k8s.io/api core/v1 types.go patchMergeKey tags).
QString mergeKeyFor(const QString &field)
{
    static const QHash<QString, QString> keys = {
            {QStringLiteral("containers"), QStringLiteral("name")},
            {QStringLiteral("initContainers"), QStringLiteral("name")},
            {QStringLiteral("ephemeralContainers"), QStringLiteral("name")},
            {QStringLiteral("env"), QStringLiteral("name")},
            {QStringLiteral("volumes"), QStringLiteral("name")},
            {QStringLiteral("volumeMounts"), QStringLiteral("mountPath")},
            {QStringLiteral("volumeDevices"), QStringLiteral("devicePath")},
            {QStringLiteral("ports"), QStringLiteral("containerPort")},
            {QStringLiteral("imagePullSecrets"), QStringLiteral("name")},
            {QStringLiteral("tolerations"), QString()},
            {QStringLiteral("conditions"), QStringLiteral("type")},
            {QStringLiteral("ownerReferences"), QStringLiteral("uid")},
            {QStringLiteral("hostAliases"), QStringLiteral("ip")},
    };
    return keys.value(field);
}

QJsonValue smp(const QJsonValue &target, const QJsonValue &patch, const QString &field,
               QString *error);

QJsonArray smpList(const QJsonArray &target, const QJsonArray &patch, const QString &field,
                   QString *error)
{
    const QString key = mergeKeyFor(field);
    if (key.isEmpty())
        return patch;
    QJsonArray out = target;
    for (const auto &pv : patch) {
        if (!pv.isObject()) {
            out.append(pv);
            continue;
        }
        QJsonObject po = pv.toObject();
        const QJsonValue k = po.value(key);
        const QString directive = po.take(QStringLiteral("$patch")).toString();
        int found = -1;
        for (int i = 0; i < out.size(); ++i) {
            if (out.at(i).toObject().value(key) == k) {
                found = i;
                break;
            }
        }
        if (directive == QLatin1String("delete")) {
            if (found >= 0)
                out.removeAt(found);
            continue;
        }
        if (found >= 0)
            out.replace(found, smp(out.at(found), po, QString(), error));
        else
            out.append(smp(QJsonObject(), po, QString(), error));
    }
    return out;
}

QJsonValue smp(const QJsonValue &target, const QJsonValue &patch, const QString &field,
               QString *error)
{
    if (patch.isArray() && target.isArray())
        return smpList(target.toArray(), patch.toArray(), field, error);
    if (!patch.isObject())
        return patch;
    QJsonObject po = patch.toObject();
    if (po.value(QStringLiteral("$patch")).toString() == QLatin1String("replace")) {
        po.remove(QStringLiteral("$patch"));
        return po;
    }
    QJsonObject out = target.isObject() ? target.toObject() : QJsonObject();
    for (auto it = po.constBegin(); it != po.constEnd(); ++it) {
        const QString k = it.key();
        if (k.startsWith(QLatin1Char('$')))
            continue; // $setElementOrder/…, $retainKeys, $deleteFromPrimitiveList/…
        if (it.value().isNull()) {
            out.remove(k);
            continue;
        }
        out.insert(k, smp(out.value(k), it.value(), k, error));
    }
    return out;
}

// RFC 6901 pointer → tokens.
bool pointerTokens(const QString &ptr, QStringList *tokens)
{
    tokens->clear();
    if (ptr.isEmpty())
        return true;
    if (!ptr.startsWith(QLatin1Char('/')))
        return false;
    const QStringList parts = ptr.mid(1).split(QLatin1Char('/'));
    for (QString p : parts) {
        p.replace(QStringLiteral("~1"), QStringLiteral("/"));
        p.replace(QStringLiteral("~0"), QStringLiteral("~"));
        *tokens << p;
    }
    return true;
}

// Applies op at tokens[idx..] inside v. op: add, remove, replace, get.
bool applyAt(QJsonValue &v, const QStringList &tokens, int idx, const QString &op,
             const QJsonValue &value, QJsonValue *out, QString *error)
{
    const QString &tok = tokens.at(idx);
    const bool last = idx == tokens.size() - 1;
    if (v.isObject()) {
        QJsonObject o = v.toObject();
        if (last) {
            if (op == QLatin1String("get")) {
                if (!o.contains(tok))
                    return *error = QStringLiteral("path not found: ") + tok, false;
                *out = o.value(tok);
                return true;
            }
            if (op != QLatin1String("add") && !o.contains(tok))
                return *error = QStringLiteral("missing path: ") + tok, false;
            if (op == QLatin1String("remove")) {
                *out = o.take(tok);
            } else {
                o.insert(tok, value);
            }
            v = o;
            return true;
        }
        if (!o.contains(tok))
            return *error = QStringLiteral("missing path: ") + tok, false;
        QJsonValue child = o.value(tok);
        if (!applyAt(child, tokens, idx + 1, op, value, out, error))
            return false;
        o.insert(tok, child);
        v = o;
        return true;
    }
    if (v.isArray()) {
        QJsonArray a = v.toArray();
        bool ok = false;
        int i = tok == QLatin1String("-") ? int(a.size()) : tok.toInt(&ok);
        if (tok != QLatin1String("-") && (!ok || i < 0))
            return *error = QStringLiteral("invalid array index: ") + tok, false;
        if (last) {
            if (op == QLatin1String("add")) {
                if (i > a.size())
                    return *error = QStringLiteral("array index out of range: ") + tok, false;
                a.insert(i, value);
            } else {
                if (i >= a.size())
                    return *error = QStringLiteral("array index out of range: ") + tok, false;
                if (op == QLatin1String("get")) {
                    *out = a.at(i);
                    return true;
                }
                if (op == QLatin1String("remove")) {
                    *out = a.at(i);
                    a.removeAt(i);
                } else {
                    a.replace(i, value);
                }
            }
            v = a;
            return true;
        }
        if (i >= a.size())
            return *error = QStringLiteral("array index out of range: ") + tok, false;
        QJsonValue child = a.at(i);
        if (!applyAt(child, tokens, idx + 1, op, value, out, error))
            return false;
        a.replace(i, child);
        v = a;
        return true;
    }
    *error = QStringLiteral("path does not name a container: ") + tok;
    return false;
}

bool applyOp(QJsonValue &doc, const QString &path, const QString &op, const QJsonValue &value,
             QJsonValue *out, QString *error)
{
    QStringList tokens;
    if (!pointerTokens(path, &tokens))
        return *error = QStringLiteral("invalid JSON pointer: ") + path, false;
    if (tokens.isEmpty()) {
        if (op == QLatin1String("get")) {
            *out = doc;
        } else if (op == QLatin1String("remove")) {
            doc = QJsonValue();
        } else {
            doc = value;
        }
        return true;
    }
    return applyAt(doc, tokens, 0, op, value, out, error);
}

} // namespace

QJsonValue PatchApplier::mergePatch(const QJsonValue &target, const QJsonValue &patch)
{
    if (!patch.isObject())
        return patch;
    QJsonObject out = target.isObject() ? target.toObject() : QJsonObject();
    const QJsonObject po = patch.toObject();
    for (auto it = po.constBegin(); it != po.constEnd(); ++it) {
        if (it.value().isNull())
            out.remove(it.key());
        else
            out.insert(it.key(), mergePatch(out.value(it.key()), it.value()));
    }
    return out;
}

podtap::Result<QJsonObject> PatchApplier::strategicMerge(const QJsonObject &target,
                                                         const QJsonObject &patch)
{
    QString error;
    const QJsonValue v = smp(target, patch, QString(), &error);
    if (!error.isEmpty())
        return podtap::Result<QJsonObject>::failure(error);
    return v.toObject();
}

podtap::Result<QJsonObject> PatchApplier::jsonPatch(const QJsonObject &target,
                                                    const QJsonArray &ops)
{
    QJsonValue doc = target;
    for (const auto &ov : ops) {
        const QJsonObject o = ov.toObject();
        const QString op = o.value(QStringLiteral("op")).toString();
        const QString path = o.value(QStringLiteral("path")).toString();
        QString error;
        QJsonValue got;
        bool ok = true;
        if (op == QLatin1String("add") || op == QLatin1String("replace")
            || op == QLatin1String("remove")) {
            if (op != QLatin1String("remove") && !o.contains(QStringLiteral("value")))
                return podtap::Result<QJsonObject>::failure(QStringLiteral("missing value for ")
                                                            + op);
            ok = applyOp(doc, path, op, o.value(QStringLiteral("value")), &got, &error);
        } else if (op == QLatin1String("test")) {
            ok = applyOp(doc, path, QStringLiteral("get"), {}, &got, &error);
            if (ok && got != o.value(QStringLiteral("value")))
                return podtap::Result<QJsonObject>::failure(
                        QStringLiteral("testing value %1 failed").arg(path));
        } else if (op == QLatin1String("move") || op == QLatin1String("copy")) {
            const QString from = o.value(QStringLiteral("from")).toString();
            ok = applyOp(doc, from,
                         op == QLatin1String("move") ? QStringLiteral("remove")
                                                     : QStringLiteral("get"),
                         {}, &got, &error)
                 && applyOp(doc, path, QStringLiteral("add"), got, &got, &error);
        } else {
            return podtap::Result<QJsonObject>::failure(QStringLiteral("Unexpected kind: ") + op);
        }
        if (!ok)
            return podtap::Result<QJsonObject>::failure(error);
    }
    if (!doc.isObject())
        return podtap::Result<QJsonObject>::failure(QStringLiteral("patch removed the object"));
    return doc.toObject();
}

} // namespace kubesim
