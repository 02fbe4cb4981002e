#pragma once

#include <QJsonObject>
#include <QString>

namespace podtap {

// The error object of a failed response (docs/ipc.md "Error codes"):
//   {"code": "protected-context", "message": "…", "context": "prod", "namespace": "shop",
//    "target": "deployment/web"}
// `code` is for programs, `message` for people. The structured fields are set where the
// daemon knows them (the context guard names the context it resolved), so a client never
// has to pick them out of the message.
struct IpcError
{
    QString code;
    QString message;
    QString context;
    QString ns;
    QString target;

    // Well-known codes.
    static inline const QString Invalid = QStringLiteral("invalid");
    static inline const QString NotFound = QStringLiteral("not-found");
    static inline const QString ProtectedContext = QStringLiteral("protected-context");
    static inline const QString TooLarge = QStringLiteral("too-large");
    static inline const QString BadRequest = QStringLiteral("bad-request");
    static inline const QString Disconnected = QStringLiteral("disconnected");

    // An error without structured fields.
    static IpcError simple(const QString &code, const QString &message)
    {
        IpcError e;
        e.code = code;
        e.message = message;
        return e;
    }

    bool isEmpty() const { return code.isEmpty() && message.isEmpty(); }
    QJsonObject toJson() const;
    // `code` and `message` must be strings and present; the others are optional strings.
    static IpcError fromJson(const QJsonObject &json, QString *error);
    // For a client: whatever came, the best error it can show ("error" for a missing code,
    // the raw object for a missing message).
    static IpcError fromReply(const QJsonObject &json);
};

} // namespace podtap
