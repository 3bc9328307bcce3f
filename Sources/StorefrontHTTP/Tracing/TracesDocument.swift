import NIOCore
import StorefrontTracing
import Tracing

/// The JSON of `/debug/traces` (a list) and `/debug/traces/{trace_id}` (one trace's spans in this region).
enum TracesDocument {
    static func list(_ traces: [KeptTrace], region: String) -> ByteBuffer {
        var json = JSONWriter(capacity: 256 + traces.count * 256)
        json.object { json in
            json.key("region")
            json.string(region)
            json.key("traces")
            json.array(traces) { json, kept in
                let root = kept.trace.root
                json.object { json in
                    json.key("trace_id")
                    json.string(kept.trace.traceID.hex)
                    json.key("name")
                    json.string(root.name)
                    json.key("flow")
                    json.string(root.attributes.get("storefront.flow").map(text) ?? "")
                    json.key("status")
                    json.string(root.attributes.get("http.response.status_code").map(text) ?? "")
                    json.key("start_ms")
                    json.integer(root.startNanos / 1_000_000)
                    json.key("duration_ms")
                    json.number(milliseconds(root.durationNanos))
                    json.key("reasons")
                    json.array(kept.reasons.names) { json, reason in json.string(reason) }
                    json.key("spans")
                    json.integer(kept.trace.spans.count + kept.trace.droppedSpans)
                    json.key("failed")
                    json.bool(kept.trace.failed)
                }
            }
        }
        return json.buffer
    }

    static func trace(_ parts: [KeptTrace], id: TraceID, region: String) -> ByteBuffer {
        var json = JSONWriter(capacity: 1024 + parts.reduce(0) { $0 + $1.trace.spans.count * 512 })
        json.object { json in
            json.key("region")
            json.string(region)
            json.key("trace_id")
            json.string(id.hex)
            json.key("parts")
            json.array(parts) { json, kept in
                let origin = kept.trace.root.startNanos
                json.object { json in
                    json.key("reasons")
                    json.array(kept.reasons.names) { json, reason in json.string(reason) }
                    json.key("dropped_spans")
                    json.integer(kept.trace.droppedSpans)
                    json.key("start_ms")
                    json.integer(origin / 1_000_000)
                    json.key("spans")
                    json.array(kept.trace.spans.sorted { $0.startNanos < $1.startNanos }) { json, span in
                        self.span(span, origin: origin, into: &json)
                    }
                }
            }
        }
        return json.buffer
    }

    private static func span(_ span: FinishedSpan, origin: UInt64, into json: inout JSONWriter) {
        json.object { json in
            json.key("span_id")
            json.string(span.spanID.hex)
            if let parent = span.parentID {
                json.key("parent_span_id")
                json.string(parent.hex)
            }
            json.key("name")
            json.string(span.name)
            json.key("kind")
            json.string("\(span.kind)")
            json.key("offset_ms")
            json.number(milliseconds(span.startNanos &- origin))
            json.key("duration_ms")
            json.number(milliseconds(span.durationNanos))
            if let status = span.status {
                json.key("status")
                json.string(status.code == .error ? "error" : "ok")
                if let message = status.message {
                    json.key("status_message")
                    json.string(message)
                }
            }
            json.key("attributes")
            attributes(span.attributes, into: &json)
            json.key("events")
            json.array(span.events) { json, event in
                json.object { json in
                    json.key("name")
                    json.string(event.name)
                    json.key("offset_ms")
                    json.number(milliseconds(event.nanosecondsSinceEpoch &- origin))
                    json.key("attributes")
                    attributes(event.attributes, into: &json)
                }
            }
        }
    }

    /// As a list of `{key, value}`, sorted by key: the names are OpenTelemetry's, not this document's.
    private static func attributes(_ attributes: SpanAttributes, into json: inout JSONWriter) {
        var pairs: [(String, String)] = []
        // swift-format-ignore: ReplaceForEachWithForLoop
        // `SpanAttributes` is no sequence: `forEach` is all it offers.
        attributes.forEach { key, value in pairs.append((key, text(value))) }
        json.array(pairs.sorted { $0.0 < $1.0 }) { json, pair in
            json.object { json in
                json.key("key")
                json.string(pair.0)
                json.key("value")
                json.string(pair.1)
            }
        }
    }

    static func text(_ value: SpanAttribute) -> String {
        switch value {
        case .string(let text): text
        case .int64(let number): String(number)
        case .int32(let number): String(number)
        case .bool(let flag): String(flag)
        case .double(let number): String(number)
        default: String(describing: value)
        }
    }

    /// To the microsecond.
    static func milliseconds(_ nanoseconds: UInt64) -> Double {
        (Double(nanoseconds / 1_000) / 1_000)
    }
}
