#include "privatefile.h"

#include <QFileDevice>

#include <sys/stat.h>

bool PrivateFile::restrict(QFileDevice &file)
{
    const int fd = file.handle();
    struct stat st
    {
    };
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return true;
    return ::fchmod(fd, S_IRUSR | S_IWUSR) == 0;
}
