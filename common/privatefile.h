#pragma once

class QFileDevice;

// Files podtap writes for its user (captures, reports, config) are the user's alone: 0600.
// Only a regular file is tightened: `-w /dev/null` or `--report /dev/stdout` as root must not
// chmod a device node that the whole system shares (it once left /dev/null 0600).
class PrivateFile
{
public:
    // Makes the open file 0600 when it is a regular file; true when it is (or is not a
    // regular file and was left alone), false when fchmod failed.
    static bool restrict(QFileDevice &file);
};
