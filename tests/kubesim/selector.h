#pragma once

#include "result.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace kubesim {

// Label selectors (am pkg/labels: k=v, k==v, k!=v, k in (a,b), k notin (a,b), k, !k) and field
// selectors (metadata.name, metadata.namespace, status.phase, spec.nodeName with =, ==, !=).
class Selector
{
public:
    static podtap::Result<Selector> parseLabels(const QString &text);
    static podtap::Result<Selector> parseFields(const QString &text);

    bool matchesLabels(const QJsonObject &object) const;
    bool matchesFields(const QJsonObject &object) const;
    bool isEmpty() const { return m_reqs.isEmpty(); }
    // The value of a `key=value` (or `==`) term, else empty (apimachinery RequiresExactMatch).
    QString exactMatch(const QString &key) const;

private:
    enum class Op { Equals, NotEquals, In, NotIn, Exists, NotExists };
    struct Requirement
    {
        QString key;
        Op op;
        QStringList values;
    };
    static bool matches(const Requirement &r, bool present, const QString &value);
    QList<Requirement> m_reqs;
};

} // namespace kubesim
