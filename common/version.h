#pragma once

namespace podtap {

// The project version, from CMake's project() call.
const char *versionString();

} // namespace podtap
