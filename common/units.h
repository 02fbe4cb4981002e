#pragma once

#include "result.h"

#include <QString>

namespace podtap {

// Sizes and durations as people write them on a command line or in a config file. Every
// flag and key that takes one goes through here, so "10X" or "-5m" is refused with a message
// that quotes it, never read as 0.
class Units
{
public:
    // How a number written without a unit is read by parseDuration.
    enum class BareNumber { Refused, Milliseconds, Seconds };

    // "1024" (bytes), "64k", "512M", "10G", "1.5G", "2T"; K/M/G/T/P/E are powers of 1024, also
    // written Ki/Mi/Gi… or KiB/KB…, any case. A fraction of a byte is refused ("0.5", "1.5"
    // without a unit); with a unit the bytes are rounded down. Negative, empty, garbage and
    // more than 2^63-1 bytes are refused.
    static Result<qint64> parseSize(const QString &text);
    // Milliseconds from "250ms", "90s", "5m", "2h", "1d", "1w" or a sum of them largest unit
    // first ("1h30m", "2m30s500ms"); each part may have a fraction ("1.5h"). `bare` says what
    // a number without a unit means (refused by default: "5" is seconds to one reader and
    // minutes to another).
    static Result<qint64> parseDuration(const QString &text, BareNumber bare = BareNumber::Refused);

    // parseDuration for options counted in whole seconds (--duration, --stall-timeout): a
    // bare number is seconds, and "1500ms" is refused rather than rounded.
    static Result<qint64> parseSeconds(const QString &text);

    // Sizes and durations for people to read, the other way: "512 B", "1.2 KiB", "3.4 MiB";
    // "850 µs", "12.3 ms", "4.56 s", "3 min 05 s". Negative: "-".
    static QString bytesText(qint64 bytes);
    static QString latencyText(double micros);

    // The messages parseSize/parseDuration give for `text`.
    static QString sizeError(const QString &text);
    static QString durationError(const QString &text, BareNumber bare);
};

} // namespace podtap
