#pragma once

#include "project/projectconfig.h"
#include "result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace podtap {

// Reads a project's `.podtap.yaml` strictly: an unknown key, a value of the wrong type or
// out of range, a regex that does not compile or a duplicate name is an error
// "FILE:LINE:COLUMN: what (did you mean …?)" (1-based, from yaml-cpp's marks), never ignored.
// yaml-cpp's exceptions stay inside; callers get a Result.
class ProjectConfigParser
{
public:
    static constexpr const char *FileName = ".podtap.yaml";

    // `displayName` is what errors start with (a path as the user would type it).
    static Result<ProjectConfig> parse(const QByteArray &yaml, const QString &displayName);
    static Result<ProjectConfig> load(const QString &path);
    // The nearest `.podtap.yaml` in `startDir` or a parent; empty when there is none.
    static QString find(const QString &startDir);
    // Every key the parser accepts, as schema paths: "mirrors.*.ports[].remote",
    // "mirrors.*.http.headers.*" (tests check docs/podtap.schema.json against it).
    static QStringList knownKeys();
    // A mirror name is a bare word, never target syntax: [A-Za-z0-9][A-Za-z0-9._-]*.
    static bool isMirrorName(const QString &word);
    // The known word closest to `word` (edit distance ≤ 2, or ≤ a third of it); empty if none.
    static QString closest(const QString &word, const QStringList &candidates);
};

} // namespace podtap
