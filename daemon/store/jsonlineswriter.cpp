#include "jsonlineswriter.h"

#include "storeio.h"

#include <QJsonDocument>

#include <cerrno>
#include <unistd.h>

namespace podtap {

JsonLinesWriter::JsonLinesWriter(QString path)
    : m_path(std::move(path))
{}

JsonLinesWriter::~JsonLinesWriter()
{
    close();
}

bool JsonLinesWriter::append(const QJsonObject &record, QString *error)
{
    m_pending.append(QJsonDocument(record).toJson(QJsonDocument::Compact));
    m_pending.append('\n');
    ++m_records;
    return m_pending.size() < FlushBytes || flush(error);
}

bool JsonLinesWriter::flush(QString *error)
{
    if (m_pending.isEmpty())
        return true;
    if (m_fd < 0) {
        m_fd = StoreIo::createPrivateFile(m_path, false, error);
        if (m_fd < 0)
            return false;
    }
    if (!StoreIo::writeAll(m_fd, m_pending.constData(), m_pending.size())) {
        const int err = errno;
        *error = (err == ENOSPC || err == EDQUOT ? QStringLiteral("disk full while writing ")
                                                 : QStringLiteral("cannot write "))
                 + m_path + QStringLiteral(": ") + StoreIo::errnoText(err);
        return false;
    }
    m_pending.resize(0);
    return true;
}

void JsonLinesWriter::close()
{
    if (m_fd >= 0) {
        ::fsync(m_fd);
        ::close(m_fd);
        m_fd = -1;
    }
}

} // namespace podtap
