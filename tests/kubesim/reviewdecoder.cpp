#include "reviewdecoder.h"

#include <QJsonDocument>
#include <QMap>

namespace kubesim {

namespace {

// Minimal protobuf wire reader: every read is bounds-checked.
class ProtoReader
{
public:
    explicit ProtoReader(const QByteArray &data)
        : m_data(data)
    {}
    bool atEnd() const { return m_pos >= m_data.size(); }
    bool varint(quint64 *out)
    {
        quint64 v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (m_pos >= m_data.size())
                return false;
            const auto b = quint8(m_data.at(m_pos++));
            v |= quint64(b & 0x7f) << shift;
            if (!(b & 0x80)) {
                *out = v;
                return true;
            }
        }
        return false;
    }
    // Reads one field; only length-delimited values are returned, others are skipped.
    bool next(int *field, QByteArray *bytes, bool *isBytes)
    {
        quint64 key = 0;
        if (!varint(&key))
            return false;
        *field = int(key >> 3);
        *isBytes = false;
        switch (key & 7) {
        case 0: {
            quint64 dummy;
            return varint(&dummy);
        }
        case 1:
            return skip(8);
        case 5:
            return skip(4);
        case 2: {
            quint64 len = 0;
            if (!varint(&len) || len > quint64(m_data.size() - m_pos))
                return false;
            *bytes = m_data.mid(m_pos, int(len));
            m_pos += int(len);
            *isBytes = true;
            return true;
        }
        default:
            return false;
        }
    }

private:
    bool skip(int n)
    {
        if (m_data.size() - m_pos < n)
            return false;
        m_pos += n;
        return true;
    }
    const QByteArray &m_data;
    int m_pos = 0;
};

bool fields(const QByteArray &msg, QMap<int, QByteArray> *out)
{
    ProtoReader r(msg);
    while (!r.atEnd()) {
        int f = 0;
        QByteArray b;
        bool isBytes = false;
        if (!r.next(&f, &b, &isBytes))
            return false;
        if (isBytes)
            out->insert(f, b);
    }
    return true;
}

QJsonObject stringFields(const QByteArray &msg, const QMap<int, QString> &names)
{
    QMap<int, QByteArray> f;
    fields(msg, &f);
    QJsonObject o;
    for (auto it = names.constBegin(); it != names.constEnd(); ++it)
        if (f.contains(it.key()))
            o.insert(it.value(), QString::fromUtf8(f.value(it.key())));
    return o;
}

} // namespace

podtap::Result<QJsonObject> ReviewDecoder::decode(const QByteArray &contentType,
                                                  const QByteArray &body, const QString &kind)
{
    if (!contentType.startsWith("application/vnd.kubernetes.protobuf")) {
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(body, &err);
        if (err.error != QJsonParseError::NoError || !doc.isObject())
            return podtap::Result<QJsonObject>::failure(
                    QStringLiteral("couldn't get version/kind; json parse error: %1")
                            .arg(err.errorString()));
        return doc.object();
    }
    if (!body.startsWith(QByteArray("k8s\0", 4)))
        return podtap::Result<QJsonObject>::failure(
                QStringLiteral("provided data does not appear to be a protobuf message"));
    QMap<int, QByteArray> unknown;
    if (!fields(body.mid(4), &unknown))
        return podtap::Result<QJsonObject>::failure(QStringLiteral("malformed protobuf envelope"));
    QMap<int, QByteArray> review;
    if (!fields(unknown.value(2), &review))
        return podtap::Result<QJsonObject>::failure(QStringLiteral("malformed protobuf object"));
    QMap<int, QByteArray> spec;
    fields(review.value(2), &spec);
    QJsonObject specJson;
    if (kind == QLatin1String("SelfSubjectAccessReview")) {
        if (spec.contains(1))
            specJson.insert(QStringLiteral("resourceAttributes"),
                            stringFields(spec.value(1), {{1, QStringLiteral("namespace")},
                                                         {2, QStringLiteral("verb")},
                                                         {3, QStringLiteral("group")},
                                                         {4, QStringLiteral("version")},
                                                         {5, QStringLiteral("resource")},
                                                         {6, QStringLiteral("subresource")},
                                                         {7, QStringLiteral("name")}}));
        if (spec.contains(2))
            specJson.insert(QStringLiteral("nonResourceAttributes"),
                            stringFields(spec.value(2), {{1, QStringLiteral("path")},
                                                         {2, QStringLiteral("verb")}}));
    } else {
        specJson = stringFields(review.value(2), {{1, QStringLiteral("namespace")}});
    }
    return QJsonObject{{QStringLiteral("kind"), kind},
                       {QStringLiteral("apiVersion"), QStringLiteral("authorization.k8s.io/v1")},
                       {QStringLiteral("spec"), specJson}};
}

} // namespace kubesim
