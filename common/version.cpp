#include "version.h"

namespace podtap {

const char *versionString()
{
    return PODTAP_VERSION;
}

} // namespace podtap
