#include "execcredentialplugin.h"

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>

#include <cstdio>

namespace kubesim {

int ExecCredentialPlugin::run(const QStringList &args)
{
    QString token, apiVersion, runsFile;
    int ttl = 0;
    int sleepMs = 0;
    for (int i = 0; i + 1 < args.size(); ++i) {
        if (args.at(i) == QLatin1String("--token"))
            token = args.at(++i);
        else if (args.at(i) == QLatin1String("--ttl"))
            ttl = args.at(++i).toInt();
        else if (args.at(i) == QLatin1String("--api-version"))
            apiVersion = args.at(++i);
        else if (args.at(i) == QLatin1String("--sleep-ms"))
            sleepMs = args.at(++i).toInt();
        else if (args.at(i) == QLatin1String("--runs-file"))
            runsFile = args.at(++i);
    }
    if (!runsFile.isEmpty()) {
        QFile f(runsFile);
        if (!f.open(QIODevice::Append)) {
            std::fprintf(stderr, "exec-credential: cannot write %s\n", qPrintable(runsFile));
            return 2;
        }
        f.write("run\n");
    }
    if (sleepMs > 0)
        QThread::msleep(static_cast<unsigned long>(sleepMs));
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
