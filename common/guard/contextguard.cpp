#include "contextguard.h"
#include "privatefile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStandardPaths>

namespace podtap {

QString ContextGuard::defaultFile()
{
    QString base = qEnvironmentVariable("XDG_CONFIG_HOME");
    if (base.isEmpty() || !QDir::isAbsolutePath(base))
        base = QDir::homePath() + QStringLiteral("/.config");
    return base + QStringLiteral("/podtap/guard.conf");
}

ContextGuard ContextGuard::withPatterns(const QStringList &patterns)
{
    ContextGuard g;
    for (const QString &p : patterns)
        if (!p.trimmed().isEmpty())
            g.m_patterns << p.trimmed();
    return g;
}

ContextGuard ContextGuard::load(const QString &file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        // Missing (or unreadable): the default protection, never none.
        ContextGuard g = withPatterns({QLatin1String(DefaultPattern)});
        g.m_file = file;
        return g;
    }
    QStringList patterns;
    for (const QByteArray &raw : f.readAll().split('\n')) {
        const QString line = QString::fromUtf8(raw).section(QLatin1Char('#'), 0, 0).trimmed();
        if (!line.isEmpty())
            patterns << line;
    }
    ContextGuard g = withPatterns(patterns);
    g.m_file = file;
    return g;
}

bool ContextGuard::save(const QStringList &patterns, const QString &file, QString *error)
{
    QDir().mkpath(QFileInfo(file).absolutePath());
    QSaveFile f(file);
    if (!f.open(QIODevice::WriteOnly)) {
        if (error)
            *error = f.errorString();
        return false;
    }
    PrivateFile::restrict(f);
    f.write("# podtap context guard: one glob per line (* and ?, whole name, any case).\n"
            "# Tapping a matching kubeconfig context needs an explicit confirmation.\n");
    for (const QString &p : patterns)
        if (!p.trimmed().isEmpty())
            f.write(p.trimmed().toUtf8() + '\n');
    if (!f.commit()) {
        if (error)
            *error = f.errorString();
        return false;
    }
    return true;
}

bool ContextGuard::globMatches(const QString &pattern, const QString &name)
{
    // Our own translation: QRegularExpression::wildcardToRegularExpression keeps `*` from
    // crossing `/`, and EKS context names are ARNs ("arn:…:cluster/prod-eu").
    QString rx;
    for (const QChar c : pattern) {
        if (c == QLatin1Char('*'))
            rx += QLatin1String(".*");
        else if (c == QLatin1Char('?'))
            rx += QLatin1Char('.');
        else
            rx += QRegularExpression::escape(QString(c));
    }
    const QRegularExpression re(QRegularExpression::anchoredPattern(rx),
                                QRegularExpression::CaseInsensitiveOption
                                        | QRegularExpression::DotMatchesEverythingOption);
    return re.match(name).hasMatch();
}

QString ContextGuard::matchingPattern(const QString &context) const
{
    for (const QString &p : m_patterns)
        if (globMatches(p, context))
            return p;
    return {};
}

} // namespace podtap
