#pragma once

#include <QString>

namespace podtap {

// The few ways the GUI turns numbers into text, shared by the models so that a byte count or
// a duration reads the same everywhere. Cheap enough to call from data() on every paint.
class DisplayFormat
{
public:
    static QString count(qint64 n);              // 1,234,567
    static QString bytes(qint64 n);              // 512 B, 1.2 KiB, 3.4 MiB
    static QString duration(qint64 ns);          // 850 µs, 12.3 ms, 4.56 s, 3 min 05 s
    static QString timeOfDay(qint64 epochNs);    // 14:03:22.123 (local time)
    static QString dateTime(const QString &iso); // 2024-05-01 14:03:22 (local time)
};

} // namespace podtap
