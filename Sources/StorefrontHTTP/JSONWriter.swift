import Foundation
import NIOCore
import StorefrontCore

/// JSON written straight into a buffer, for the answers a launch serves most: product pages and listing
/// entries, encoded each time a product or its stock changes, where `JSONEncoder` cost more than the rest
/// of the request. The output is what `JSON.encode` gives for the same body (snake_case keys, ISO 8601
/// seconds, nil fields left out); `CatalogJSONTests` holds the two equal.
struct JSONWriter {
    private(set) var buffer = ByteBuffer()
    /// Per open object or array: nothing written in it yet.
    private var empty: [Bool] = []
    private var afterKey = false

    init(capacity: Int = 1024) {
        buffer.reserveCapacity(capacity)
    }

    mutating func object(_ body: (inout JSONWriter) -> Void) {
        open("{")
        body(&self)
        close("}")
    }

    mutating func array<Items: Sequence>(_ items: Items, _ element: (inout JSONWriter, Items.Element) -> Void) {
        open("[")
        for item in items { element(&self, item) }
        close("]")
    }

    mutating func key(_ name: StaticString) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeStaticString("\":")
        afterKey = true
    }

    mutating func string(_ value: String) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case 0..<0x20:
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(Self.hex[Int(byte >> 4)])
                buffer.writeInteger(Self.hex[Int(byte & 0xF)])
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    mutating func integer(_ value: some BinaryInteger) {
        separate()
        buffer.writeString(String(value))
    }

    /// As `JSONEncoder` writes a `Double`: the shortest form that reads back the same, with no `.0` on a whole
    /// number.
    mutating func number(_ value: Double) {
        separate()
        let text = value.description
        buffer.writeString(text.hasSuffix(".0") ? String(text.dropLast(2)) : text)
    }

    mutating func bool(_ value: Bool) {
        separate()
        buffer.writeStaticString(value ? "true" : "false")
    }

    /// In UTC to the second, as `JSONEncoder`'s `.iso8601` writes it.
    mutating func date(_ value: Date) {
        string(UTCTimestamp.iso8601(seconds: Int(value.timeIntervalSince1970.rounded(.down))))
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func separate() {
        if afterKey {
            afterKey = false
        } else if let last = empty.indices.last {
            if empty[last] { empty[last] = false } else { buffer.writeInteger(UInt8(ascii: ",")) }
        }
    }

    private mutating func open(_ bracket: Unicode.Scalar) {
        separate()
        buffer.writeInteger(UInt8(bracket.value))
        empty.append(true)
    }

    private mutating func close(_ bracket: Unicode.Scalar) {
        empty.removeLast()
        buffer.writeInteger(UInt8(bracket.value))
    }
}
