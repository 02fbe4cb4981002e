#include "kubeconfigwriter.h"

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

#include <yaml-cpp/yaml.h>

namespace kubesim {

QByteArray KubeconfigWriter::render(const QString &server, const QByteArray &caPem,
                                    const QList<KubeconfigUser> &users,
                                    const QString &currentContext, const QString &defaultNamespace)
{
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "apiVersion" << YAML::Value << "v1";
    out << YAML::Key << "kind" << YAML::Value << "Config";
    out << YAML::Key << "current-context" << YAML::Value << currentContext.toStdString();
    out << YAML::Key << "preferences" << YAML::Value << YAML::BeginMap << YAML::EndMap;
    out << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq;
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "kubesim";
    out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "server" << YAML::Value << server.toStdString();
    out << YAML::Key << "certificate-authority-data" << YAML::Value
        << caPem.toBase64().toStdString();
    out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;

    out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq;
    for (const auto &u : users) {
        out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << u.name.toStdString();
        out << YAML::Key << "user" << YAML::Value << YAML::BeginMap;
        if (!u.clientCertPem.isEmpty()) {
            out << YAML::Key << "client-certificate-data" << YAML::Value
                << u.clientCertPem.toBase64().toStdString();
            out << YAML::Key << "client-key-data" << YAML::Value
                << u.clientKeyPem.toBase64().toStdString();
        }
        if (!u.token.isEmpty())
            out << YAML::Key << "token" << YAML::Value << YAML::DoubleQuoted
                << u.token.toStdString();
        if (!u.username.isEmpty()) {
            out << YAML::Key << "username" << YAML::Value << YAML::DoubleQuoted
                << u.username.toStdString();
            out << YAML::Key << "password" << YAML::Value << YAML::DoubleQuoted
                << u.password.toStdString();
        }
        if (!u.execApiVersion.isEmpty()) {
            out << YAML::Key << "exec" << YAML::Value << YAML::BeginMap;
            out << YAML::Key << "apiVersion" << YAML::Value << u.execApiVersion.toStdString();
            out << YAML::Key << "command" << YAML::Value << u.execCommand.toStdString();
            out << YAML::Key << "args" << YAML::Value << YAML::BeginSeq;
            for (const QString &a : u.execArgs)
                out << YAML::DoubleQuoted << a.toStdString();
            out << YAML::EndSeq;
            out << YAML::Key << "interactiveMode" << YAML::Value << "Never";
            out << YAML::Key << "provideClusterInfo" << YAML::Value << true;
            out << YAML::EndMap;
        }
        out << YAML::EndMap << YAML::EndMap;
    }
    out << YAML::EndSeq;

    out << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq;
    for (const auto &u : users) {
        out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << u.name.toStdString();
        out << YAML::Key << "context" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "cluster" << YAML::Value << "kubesim";
        out << YAML::Key << "user" << YAML::Value << u.name.toStdString();
        if (!defaultNamespace.isEmpty())
            out << YAML::Key << "namespace" << YAML::Value << defaultNamespace.toStdString();
        out << YAML::EndMap << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::EndMap;
    return QByteArray(out.c_str()) + '\n';
}

bool KubeconfigWriter::write(const QString &path, const QByteArray &content, QString *error)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        *error = f.errorString();
        return false;
    }
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    f.write(content);
    if (!f.commit()) {
        *error = f.errorString();
        return false;
    }
    return true;
}

} // namespace kubesim
