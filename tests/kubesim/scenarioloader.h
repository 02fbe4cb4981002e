#pragma once

#include "result.h"
#include "scenario.h"

#include <QByteArray>
#include <QString>

namespace kubesim {

// Reads a scenario YAML file. Unknown keys, wrong types and dangling references are errors that
// name the line.
class ScenarioLoader
{
public:
    static podtap::Result<Scenario> loadFile(const QString &path);
    static podtap::Result<Scenario> loadData(const QByteArray &yaml, const QString &origin);
};

} // namespace kubesim
