#pragma once

#include <QString>
#include <QStringList>

namespace podtap {

// The context guard: kubeconfig context names the user protects (production). Tapping one
// needs an explicit confirmation; podtapd enforces it for every client, the tray never offers
// one as a quick mirror. The patterns are a user setting shared by podtapd, the CLI and the
// GUI: `$XDG_CONFIG_HOME/podtap/guard.conf` (else ~/.config/podtap/guard.conf), one glob per
// line (`*` any characters, `?` one; whole name; case-insensitive), `#` starts a comment.
// A missing file means the default, `*prod*`; a file without any pattern protects nothing.
class ContextGuard
{
public:
    static constexpr const char *DefaultPattern = "*prod*";

    static QString defaultFile();
    // Reads `file` (each call re-reads it, so an edit applies to the next session).
    static ContextGuard load(const QString &file = defaultFile());
    static ContextGuard withPatterns(const QStringList &patterns);
    // Writes the patterns to `file` (0600), with a comment saying what it is.
    static bool save(const QStringList &patterns, const QString &file = defaultFile(),
                     QString *error = nullptr);

    const QStringList &patterns() const { return m_patterns; }
    QString file() const { return m_file; }
    bool isProtected(const QString &context) const { return !matchingPattern(context).isEmpty(); }
    // The first pattern `context` matches; empty when it is not protected.
    QString matchingPattern(const QString &context) const;
    static bool globMatches(const QString &pattern, const QString &name);

private:
    QStringList m_patterns;
    QString m_file;
};

} // namespace podtap
