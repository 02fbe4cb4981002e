#include "execcredentialplugin.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

namespace kubesim {

int ExecCredentialPlugin::run(const QStringList &args)
{
    QString token, apiVersion;
    int ttl = 0;
    for (int i = 0; i + 1 < args.size(); ++i) {
        if (args.at(i) == QLatin1String("--token"))
            token = args.at(++i);
        else if (args.at(i) == QLatin1String("--ttl"))
            ttl = args.at(++i).toInt();
        else if (args.at(i) == QLatin1String("--api-version"))
            apiVersion = args.at(++i);
    }
    if (token.isEmpty()) {
        std::fputs("exec-credential: --token is required\n", stderr);
        return 2;
    }
    const QByteArray info = qgetenv("KUBERNETES_EXEC_INFO");
    if (apiVersion.isEmpty() && !info.isEmpty())
        apiVersion = QJsonDocument::fromJson(info)
                             .object()
                             .value(QStringLiteral("apiVersion"))
                             .toString();
    if (apiVersion.isEmpty())
        apiVersion = QStringLiteral("client.authentication.k8s.io/v1beta1");
    QJsonObject status;
    if (ttl > 0) {
        const qint64 exp = QDateTime::currentSecsSinceEpoch() + ttl;
        status.insert(QStringLiteral("token"),
                      QString(token + QStringLiteral(".exp") + QString::number(exp)));
        status.insert(QStringLiteral("expirationTimestamp"),
                      QDateTime::fromSecsSinceEpoch(exp, Qt::UTC).toString(Qt::ISODate));
    } else {
        status.insert(QStringLiteral("token"), token);
    }
    const QJsonObject cred{{QStringLiteral("kind"), QStringLiteral("ExecCredential")},
                           {QStringLiteral("apiVersion"), apiVersion},
                           {QStringLiteral("spec"), QJsonObject()},
                           {QStringLiteral("status"), status}};
    const QByteArray out = QJsonDocument(cred).toJson(QJsonDocument::Compact) + '\n';
    std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
    return 0;
}

} // namespace kubesim
