#pragma once

// Real protobuf for the gRPC comparison and descriptor set tests: protoc (grpc_tools) compiles
// tests/capture/h2/greeter.proto and proto/shapes.proto into a descriptor set and python
// modules; grpc_messages.py serializes messages with the python protobuf library and lists
// the schema as the python descriptor pool sees it.
#include <QByteArray>
#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

namespace prototest {

struct Fixture
{
    QString error; // empty when everything was made
    QString setPath;
    QByteArray descriptorSet; // protoc --descriptor_set_out --include_imports
    QHash<QString, QByteArray> messages;
    QJsonObject schema;  // message full name -> {number: [name, type, repeated, type name]}
    QJsonObject methods; // "/pkg.Service/Method" -> [input, output, client/server streaming]
};

inline QString python()
{
    return QStringLiteral("/usr/bin/python3");
}

// Runs python3 with `args`; stdout, or an error.
inline bool run(const QStringList &args, QByteArray *out, QString *error)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"), QStringLiteral("python"));
    p.setProcessEnvironment(env);
    p.start(python(), args);
    if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        *error = QStringLiteral("python3 %1 failed: %2")
                         .arg(args.join(QLatin1Char(' ')),
                              QString::fromLocal8Bit(p.readAllStandardError()));
        return false;
    }
    if (out)
        *out = p.readAllStandardOutput();
    return true;
}

// protoc over `files` (in greeter's and shapes' folders) into `setPath`.
inline bool protoc(const QStringList &files, const QString &setPath, bool includeImports,
                   const QString &pythonOut, QString *error)
{
    QStringList args{QStringLiteral("-m"),
                     QStringLiteral("grpc_tools.protoc"),
                     QStringLiteral("-I"),
                     QStringLiteral(SRCDIR "/../../capture/h2"),
                     QStringLiteral("-I"),
                     QStringLiteral(SRCDIR "/proto"),
                     QStringLiteral("--descriptor_set_out=") + setPath};
    if (includeImports)
        args << QStringLiteral("--include_imports");
    if (!pythonOut.isEmpty())
        args << QStringLiteral("--python_out=") + pythonOut;
    return run(args + files, nullptr, error);
}

inline Fixture make(const QTemporaryDir &dir)
{
    Fixture f;
    f.setPath = dir.filePath(QStringLiteral("set.pb"));
    if (!protoc({QStringLiteral("greeter.proto"), QStringLiteral("shapes.proto")}, f.setPath, true,
                dir.path(), &f.error))
        return f;
    QFile set(f.setPath);
    if (!set.open(QIODevice::ReadOnly)) {
        f.error = set.errorString();
        return f;
    }
    f.descriptorSet = set.readAll();
    QByteArray json;
    if (!run({QStringLiteral(SRCDIR "/grpc_messages.py"), dir.path()}, &json, &f.error))
        return f;
    const QJsonObject all = QJsonDocument::fromJson(json).object();
    const QJsonObject messages = all.value(QLatin1String("messages")).toObject();
    for (auto it = messages.begin(); it != messages.end(); ++it)
        f.messages.insert(it.key(), QByteArray::fromHex(it.value().toString().toLatin1()));
    f.schema = all.value(QLatin1String("schema")).toObject();
    f.methods = all.value(QLatin1String("methods")).toObject();
    if (f.messages.isEmpty() || f.schema.isEmpty())
        f.error = QStringLiteral("grpc_messages.py gave no messages");
    return f;
}

} // namespace prototest
