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

extension UTCTimestamp {
    /// HTTP's date (RFC 9110's IMF-fixdate): `Wed, 02 Dec 2026 06:16:28 GMT`.
    public static func httpDate(seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
