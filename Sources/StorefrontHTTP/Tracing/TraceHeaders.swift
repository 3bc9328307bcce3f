import HTTPTypes
import Tracing

/// W3C Trace Context's headers, read from and written to swift-http-types' fields.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        guard let name = HTTPField.Name(key) else { return nil }
        // The specification allows one `traceparent`; with several, none is trusted.
        let values = carrier[values: name]
        return values.count == 1 ? values[0] : (key == "tracestate" ? values.joined(separator: ",") : nil)
    }
}

extension HTTPField.Name {
    static let traceparent = Self("traceparent")!
    static let tracestate = Self("tracestate")!
    /// W3C Trace Context level 2: on every answer, the trace and the span that served it.
    static let traceresponse = Self("traceresponse")!
}
