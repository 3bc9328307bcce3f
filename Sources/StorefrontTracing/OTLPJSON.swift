import Tracing

/// OTLP's JSON encoding of a trace export request (`ExportTraceServiceRequest`, as OTLP/HTTP sends to
/// `/v1/traces` with `Content-Type: application/json`): ids in lower-case hex, 64-bit numbers as strings,
/// enums as their numbers, as the specification's JSON mapping says.
public enum OTLPJSON {
    /// One request for `traces`, every span under one resource: this process.
    public static func exportRequest(_ traces: [KeptTrace], resource: [(String, String)]) -> [UInt8] {
        var json = JSONText()
        json.raw(#"{"resourceSpans":[{"resource":{"attributes":["#)
        for (index, (key, value)) in resource.enumerated() {
            if index > 0 { json.raw(",") }
            json.attribute(key, .string(value))
        }
        json.raw(#"]},"scopeSpans":[{"scope":{"name":"storefront"},"spans":["#)
        var first = true
        for kept in traces {
            for span in kept.trace.spans {
                if !first { json.raw(",") }
                first = false
                json.span(span, of: kept.trace)
            }
        }
        json.raw("]}]}]}")
        return json.bytes
    }
}

private struct JSONText {
    var bytes: [UInt8] = []

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw(#"\""#)
            case UInt8(ascii: "\\"): raw(#"\\"#)
            case 0..<0x20:
                raw(#"\u00"#)
                let digits = Array("0123456789abcdef".utf8)
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0xf)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func span(_ span: FinishedSpan, of trace: CompletedTrace) {
        raw(#"{"traceId":"\#(trace.traceID.hex)","spanId":"\#(span.spanID.hex)""#)
        if let parent = span.parentID { raw(#","parentSpanId":"\#(parent.hex)""#) }
        raw(#","name":"#)
        string(span.name)
        raw(#","kind":\#(span.kind.otlp),"startTimeUnixNano":"\#(span.startNanos)","endTimeUnixNano":"\#(span.endNanos)","attributes":["#)
        attributes(span.attributes)
        raw("]")
        if !span.events.isEmpty {
            raw(#","events":["#)
            for (index, event) in span.events.enumerated() {
                if index > 0 { raw(",") }
                raw(#"{"timeUnixNano":"\#(event.nanosecondsSinceEpoch)","name":"#)
                string(event.name)
                raw(#","attributes":["#)
                attributes(event.attributes)
                raw("]}")
            }
            raw("]")
        }
        if let status = span.status {
            raw(#","status":{"code":\#(status.code == .error ? 2 : 1)"#)
            if let message = status.message {
                raw(#","message":"#)
                string(message)
            }
            raw("}")
        }
        raw("}")
    }

    mutating func attributes(_ attributes: SpanAttributes) {
        var first = true
        // swift-format-ignore: ReplaceForEachWithForLoop
        // `SpanAttributes` is no sequence: `forEach` is all it offers.
        attributes.forEach { key, value in
            if !first { raw(",") }
            first = false
            attribute(key, value)
        }
    }

    mutating func attribute(_ key: String, _ value: SpanAttribute) {
        raw(#"{"key":"#)
        string(key)
        raw(#","value":"#)
        self.value(value)
        raw("}")
    }

    mutating func value(_ value: SpanAttribute) {
        switch value {
        case .int32(let number): raw(#"{"intValue":"\#(number)"}"#)
        case .int64(let number): raw(#"{"intValue":"\#(number)"}"#)
        case .double(let number): raw(#"{"doubleValue":\#(number.isFinite ? "\(number)" : "0")}"#)
        case .bool(let flag): raw(#"{"boolValue":\#(flag)}"#)
        case .string(let text):
            raw(#"{"stringValue":"#)
            string(text)
            raw("}")
        case .stringArray(let texts):
            raw(#"{"arrayValue":{"values":["#)
            for (index, text) in texts.enumerated() {
                if index > 0 { raw(",") }
                self.value(.string(text))
            }
            raw("]}}")
        default:
            raw(#"{"stringValue":"#)
            string(String(describing: value))
            raw("}")
        }
    }
}

extension SpanKind {
    /// OTLP's `Span.SpanKind`.
    var otlp: Int {
        switch self {
        case .internal: 1
        case .server: 2
        case .client: 3
        case .producer: 4
        case .consumer: 5
        }
    }
}
