/// A W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/): which trace a request belongs
/// to, which span sent it, and whether the sender recorded it.
public struct TraceParent: Sendable, Hashable {
    public var traceID: TraceID
    public var spanID: SpanID
    public var sampled: Bool

    public init(traceID: TraceID, spanID: SpanID, sampled: Bool) {
        self.traceID = traceID
        self.spanID = spanID
        self.sampled = sampled
    }

    /// Parses a header value; nil for anything the specification says to ignore: a wrong length, upper-case
    /// or non-hex digits, version `ff`, or an all-zero trace or span id. A later version is read by its first
    /// four fields, as the specification asks.
    public init?(header: String) {
        let bytes = Array(header.utf8)
        guard bytes.count >= 55, let version = Hex.byte(bytes, at: 0), version != 0xff, bytes[2] == dash, bytes[35] == dash,
            bytes[52] == dash
        else { return nil }
        // Version 00 is exactly 55 characters; a later one may carry more after a dash.
        guard version == 0 ? bytes.count == 55 : (bytes.count == 55 || bytes[55] == dash) else { return nil }
        guard let high = Hex.uint64(bytes, at: 3), let low = Hex.uint64(bytes, at: 19), let span = Hex.uint64(bytes, at: 36),
            let flags = Hex.byte(bytes, at: 53)
        else { return nil }
        guard high != 0 || low != 0, span != 0 else { return nil }
        self.init(traceID: TraceID(high: high, low: low), spanID: SpanID(span), sampled: flags & 1 == 1)
    }

    /// The header value, version 00.
    public var header: String {
        "00-\(traceID.hex)-\(spanID.hex)-\(sampled ? "01" : "00")"
    }
}

/// A trace's 16-byte id.
public struct TraceID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// 32 lower-case hex digits, as in `traceparent`, logs and OTLP's JSON.
    public var hex: String { Hex.string(high) + Hex.string(low) }
    public var description: String { hex }

    public init?(hex: some StringProtocol) {
        let bytes = Array(hex.utf8)
        guard bytes.count == 32, let high = Hex.uint64(bytes, at: 0), let low = Hex.uint64(bytes, at: 16), high != 0 || low != 0 else {
            return nil
        }
        self.init(high: high, low: low)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.high, lhs.low) < (rhs.high, rhs.low) }
}

/// A span's 8-byte id.
public struct SpanID: Sendable, Hashable, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public var hex: String { Hex.string(value) }
    public var description: String { hex }
}

private let dash = UInt8(ascii: "-")

/// Lower-case hex, as W3C Trace Context writes it.
enum Hex {
    static func string(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            for index in 0..<16 {
                let nibble = UInt8(truncatingIfNeeded: value >> (60 - 4 * index)) & 0xf
                buffer[index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            }
            return 16
        }
    }

    static func uint64(_ bytes: [UInt8], at offset: Int) -> UInt64? {
        var value: UInt64 = 0
        for index in offset..<offset + 16 {
            guard let nibble = nibble(bytes[index]) else { return nil }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }

    static func byte(_ bytes: [UInt8], at offset: Int) -> UInt8? {
        guard let high = nibble(bytes[offset]), let low = nibble(bytes[offset + 1]) else { return nil }
        return high << 4 | low
    }

    /// Lower-case only: the specification forbids upper-case digits.
    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
