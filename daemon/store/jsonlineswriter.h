#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace podtap {

// An append-only JSON Lines file of a session folder (http.jsonl, compare.jsonl): created
// 0600 at the first record, buffered, written out by flush() or when the buffer is large.
class JsonLinesWriter
{
public:
    explicit JsonLinesWriter(QString path);
    ~JsonLinesWriter();
    JsonLinesWriter(const JsonLinesWriter &) = delete;
    JsonLinesWriter &operator=(const JsonLinesWriter &) = delete;

    // False (with `error`) when the file cannot be created or written.
    bool append(const QJsonObject &record, QString *error);
    bool flush(QString *error);
    void close();
    quint64 records() const { return m_records; }

private:
    static constexpr qsizetype FlushBytes = 256 * 1024;
    QString m_path;
    QByteArray m_pending;
    int m_fd = -1;
    quint64 m_records = 0;
};

} // namespace podtap
