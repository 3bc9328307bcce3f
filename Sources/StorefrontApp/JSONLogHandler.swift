import Foundation
import Logging

/// Writes each log record as one JSON object on one line of standard output, for log shippers.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = Self.flatten(value)
        }
        if let error = event.error { fields["error"] = String(reflecting: error) }
        let level = event.level
        let message = event.message
        var text = "{\"ts\":\(Self.quote(Date().formatted(Self.timestamp)))"
        text += ",\"level\":\(Self.quote(level.rawValue)),\"logger\":\(Self.quote(label)),\"msg\":\(Self.quote(message.description))"
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            text += ",\(Self.quote(key)):\(Self.quote(value))"
        }
        text += "}\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    static func flatten(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let array): "[" + array.map(flatten).joined(separator: ",") + "]"
        case .dictionary(let dictionary): dictionary.sorted { $0.key < $1.key }.map { "\($0.key)=\(flatten($0.value))" }.joined(separator: ",")
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, so no field can forge a line.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
