import Foundation
import StorefrontCore
import StorefrontHealth

/// `GET /health/history?since=…`: every signal's samples and every node's state changes the region recorded
/// after `since`, for the dashboard's sparklines and timeline and for an engineer asking what happened
/// before. Samples are columns (times, values, states) rather than objects: an hour of twenty signals is
/// 72,000 samples.
/// Decodable too, so that a test reads the document as the route writes it.
struct HealthHistoryDocument: Codable {
    var region: String
    /// The latest entry's stamp: the `since` that asks for exactly what was recorded after this answer.
    var until: String
    var span_seconds: Int
    var signals: [Series]
    var changes: [Change]

    struct Series: Codable {
        var id: String
        var unit: String
        /// Milliseconds since 1970, one per sample, increasing.
        var times_ms: [Int64]
        /// The measurement; null when the probe got none (refused, timed out).
        var values: [Float?]
        /// One letter per sample: `h` healthy, `d` degraded, `u` unhealthy, each on its own before hysteresis.
        var states: String
    }

    struct Change: Codable {
        var at: String
        var node: String
        /// Null for a node's first state.
        var from: String?
        var to: String
        var reason: String?
        var root_signals: [String]
        var impacted_flows: [String]
    }

    init(region: String, entries: HealthHistoryEntries, until: Int64, span: Duration) {
        self.region = region
        self.until = Self.timestamp(until)
        span_seconds = Int(span.seconds)
        signals = entries.series.map { signal, unit, points in
            Series(
                id: signal.description,
                unit: unit,
                times_ms: points.map(\.time),
                values: points.map { $0.value.flatMap { $0.isFinite ? $0 : nil } },
                states: String(points.map { Self.letter($0.status) })
            )
        }
        changes = entries.changes.map { change in
            Change(
                at: Self.timestamp(change.time),
                node: change.node,
                from: change.from?.description,
                to: change.to.description,
                reason: change.reason,
                root_signals: change.rootSignals,
                impacted_flows: change.impactedFlows
            )
        }
    }

    static func letter(_ status: HealthStatus) -> Character {
        switch status {
        case .healthy: "h"
        case .degraded: "d"
        case .unhealthy: "u"
        }
    }

    static let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// Exact to the millisecond: formatting a `Date` of fractional seconds can come out a millisecond short
    /// (binary floating point), and an `until` a millisecond early would repeat the entry stamped with it.
    static func timestamp(_ milliseconds: Int64) -> String {
        let (seconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (whole, rest) = fraction < 0 ? (seconds - 1, fraction + 1000) : (seconds, fraction)
        let text = Date(timeIntervalSince1970: Double(whole)).formatted(.iso8601)
        return text.dropLast() + "." + String(repeating: "0", count: 3 - String(rest).count) + String(rest) + "Z"
    }

    /// `since`, an ISO 8601 time with or without fractions of a second, as milliseconds since 1970; nil
    /// when absent (the whole history).
    static func since(_ query: String?) throws -> Int64? {
        var since: Int64?
        for (name, value) in try QueryString.pairs(query) {
            guard name == "since" else { throw StorefrontError.invalid(name, "unknown query parameter; known: since") }
            guard since == nil else { throw StorefrontError.invalid("since", "is given more than once") }
            // RFC 3339 lets `T` and `Z` be written in lower case; the parser wants them upper.
            let text = value.uppercased()
            guard let date = (try? format.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text)) else {
                throw StorefrontError.invalid("since", "must be an ISO 8601 time such as 2026-12-02T11:00:00.000Z")
            }
            // To the nearest millisecond: the text's own digits, not the binary fraction just below them.
            since = Int64((date.timeIntervalSince1970 * 1000).rounded())
        }
        return since
    }
}
