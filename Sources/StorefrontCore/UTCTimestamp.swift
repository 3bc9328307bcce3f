import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// ISO 8601 in UTC, written digit by digit: every log line and every product page carries one, and a date
/// formatter would cost more than the rest of the line.
public enum UTCTimestamp {
    /// `2026-11-28T01:05:39Z`, or `2026-11-28T01:05:39.123Z` with `milliseconds`.
    public static func iso8601(seconds: Int, milliseconds: Int? = nil) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var fields: [(value: Int, width: Int, separator: UInt8)] = [
            (Int(parts.tm_year) + 1900, 4, UInt8(ascii: "-")), (Int(parts.tm_mon) + 1, 2, UInt8(ascii: "-")),
            (Int(parts.tm_mday), 2, UInt8(ascii: "T")), (Int(parts.tm_hour), 2, UInt8(ascii: ":")),
            (Int(parts.tm_min), 2, UInt8(ascii: ":")), (Int(parts.tm_sec), 2, UInt8(ascii: "Z")),
        ]
        if let milliseconds {
            fields[5].separator = UInt8(ascii: ".")
            fields.append((milliseconds, 3, UInt8(ascii: "Z")))
        }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var index = 0
            for field in fields {
                var rest = field.value
                for position in stride(from: field.width - 1, through: 0, by: -1) {
                    buffer[index + position] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                buffer[index + field.width] = field.separator
                index += field.width + 1
            }
            return index
        }
    }

    /// The time now, with milliseconds.
    public static func now() -> String {
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        return iso8601(seconds: Int(clock.tv_sec), milliseconds: clock.tv_nsec / 1_000_000)
    }
}
