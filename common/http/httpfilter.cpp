#include "httpfilter.h"

#include <QJsonArray>

namespace podtap {

bool HttpFilter::matches(const HttpMessage &request) const
{
    if (!m_methods.isEmpty() && !m_methods.contains(request.method))
        return false;
    if (!m_pathPattern.isEmpty() && !m_path.match(QString::fromLatin1(request.target)).hasMatch())
        return false;
    for (const auto &[name, re] : m_headers) {
        bool any = false;
        for (const HttpMessage::Header &h : request.headers) {
            if (h.name.size() == name.size()
                && qstrnicmp(h.name.data(), h.name.size(), name.constData(), name.size()) == 0
                && re.match(QString::fromLatin1(h.value)).hasMatch()) {
                any = true;
                break;
            }
        }
        if (!any)
            return false;
    }
    return true;
}

podtap::Result<HttpFilter> HttpFilter::fromJson(const QJsonObject &json)
{
    using R = podtap::Result<HttpFilter>;
    HttpFilter f;
    for (auto it = json.begin(); it != json.end(); ++it) {
        const QString key = it.key();
        if (key == QLatin1String("methods")) {
            if (!it.value().isArray())
                return R::failure(QStringLiteral("HTTP filter: methods must be a list"));
            for (const QJsonValue m : it.value().toArray()) {
                const QByteArray method = m.toString().toLatin1().toUpper();
                if (method.isEmpty())
                    return R::failure(QStringLiteral("HTTP filter: an empty method"));
                f.m_methods.insert(method);
            }
        } else if (key == QLatin1String("path")) {
            f.m_pathPattern = it.value().toString();
            f.m_path = QRegularExpression(f.m_pathPattern);
            if (!f.m_path.isValid())
                return R::failure(QStringLiteral("HTTP filter: path regex '%1': %2")
                                          .arg(f.m_pathPattern, f.m_path.errorString()));
        } else if (key == QLatin1String("headers")) {
            const QJsonObject headers = it.value().toObject();
            for (auto h = headers.begin(); h != headers.end(); ++h) {
                QRegularExpression re(h.value().toString());
                if (!re.isValid())
                    return R::failure(
                            QStringLiteral("HTTP filter: header %1 regex '%2': %3")
                                    .arg(h.key(), h.value().toString(), re.errorString()));
                f.m_headers.append({h.key().toLatin1().toLower(), re});
            }
        } else {
            return R::failure(QStringLiteral("HTTP filter: unknown key '%1' (methods, path, "
                                             "headers)")
                                      .arg(key));
        }
    }
    return f;
}

QJsonObject HttpFilter::toJson() const
{
    QJsonObject o;
    if (!m_methods.isEmpty()) {
        QStringList methods;
        for (const QByteArray &m : m_methods)
            methods << QString::fromLatin1(m);
        methods.sort();
        o[QLatin1String("methods")] = QJsonArray::fromStringList(methods);
    }
    if (!m_pathPattern.isEmpty())
        o[QLatin1String("path")] = m_pathPattern;
    if (!m_headers.isEmpty()) {
        QJsonObject h;
        for (const auto &[name, re] : m_headers)
            h[QString::fromLatin1(name)] = re.pattern();
        o[QLatin1String("headers")] = h;
    }
    return o;
}

QString HttpFilter::describe() const
{
    QStringList parts;
    if (!m_methods.isEmpty()) {
        QStringList methods;
        for (const QByteArray &m : m_methods)
            methods << QString::fromLatin1(m);
        methods.sort();
        parts << methods.join(QLatin1Char('|'));
    }
    if (!m_pathPattern.isEmpty())
        parts << m_pathPattern;
    for (const auto &[name, re] : m_headers)
        parts << QString::fromLatin1(name) + QLatin1Char('~') + re.pattern();
    return parts.isEmpty() ? QStringLiteral("all requests") : parts.join(QLatin1Char(' '));
}

} // namespace podtap
