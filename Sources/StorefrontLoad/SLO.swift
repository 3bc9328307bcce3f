import Foundation

/// A service-level objective a run must meet: `p99<50ms,errors<0.1%`, `checkout:p99<200ms`, `rps>1000`.
/// Latencies take `us`, `ms` or `s`; errors a percentage or a ratio; each condition applies to all steps
/// together, or to one step (or every step of a journey, `checkout:`) named before a colon.
public struct SLO: Sendable, Equatable, CustomStringConvertible {
    public struct Condition: Sendable, Equatable {
        public enum Metric: Sendable, Equatable {
            case percentile(Double)
            case max
            /// Errors over requests, as a ratio.
            case errors
            case rps
        }

        public var step: String?
        public var metric: Metric
        public var below: Bool
        public var inclusive: Bool
        /// Milliseconds for latencies, a ratio for errors, requests per second for rps.
        public var value: Double
        public var text: String
    }

    public var conditions: [Condition]
    public var description: String { conditions.map(\.text).joined(separator: ",") }

    public init(_ text: String) throws(LoadError) {
        var conditions: [Condition] = []
        for raw in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !raw.isEmpty {
            var body = Substring(raw)
            var step: String?
            if let colon = body.firstIndex(of: ":") {
                step = String(body[..<colon])
                body = body[body.index(after: colon)...]
            }
            guard let operatorRange = body.firstRange(of: "<=") ?? body.firstRange(of: ">=") ?? body.firstRange(of: "<") ?? body.firstRange(of: ">")
            else {
                throw .invalid("SLO '\(raw)' has no comparison: write it as p99<50ms")
            }
            let name = String(body[..<operatorRange.lowerBound])
            let symbol = String(body[operatorRange])
            let quantity = String(body[operatorRange.upperBound...])
            let metric: Condition.Metric
            let value: Double?
            switch name {
            case "max": (metric, value) = (.max, Self.milliseconds(quantity))
            case "errors": (metric, value) = (.errors, Self.ratio(quantity))
            case "rps": (metric, value) = (.rps, Double(quantity).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil })
            case _ where name.hasPrefix("p"):
                guard let percentile = Double(name.dropFirst()), [50, 90, 99, 99.9].contains(percentile) else {
                    throw .invalid("SLO '\(raw)': \(name) is not one of the reported percentiles p50, p90, p99, p99.9")
                }
                (metric, value) = (.percentile(percentile), Self.milliseconds(quantity))
            default:
                throw .invalid("SLO '\(raw)': \(name) is not p50…p99.9, max, errors or rps")
            }
            guard let value else {
                throw .invalid(
                    "SLO '\(raw)': '\(quantity)' is not a \(metric == .errors ? "percentage or ratio" : metric == .rps ? "rate" : "duration such as 50ms")"
                )
            }
            conditions.append(
                Condition(step: step, metric: metric, below: symbol.hasPrefix("<"), inclusive: symbol.hasSuffix("="), value: value, text: raw)
            )
        }
        guard !conditions.isEmpty else { throw .invalid("the SLO has no condition") }
        self.conditions = conditions
    }

    static func milliseconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("us", 0.001), ("ms", 1), ("s", 1000)]
        for (unit, factor) in units where text.hasSuffix(unit) {
            guard let value = Double(text.dropLast(unit.count)), value.isFinite, value >= 0 else { return nil }
            return value * factor
        }
        return nil
    }

    static func ratio(_ text: String) -> Double? {
        if text.hasSuffix("%") { return Double(text.dropLast()).flatMap { $0 >= 0 && $0 <= 100 ? $0 / 100 : nil } }
        return Double(text).flatMap { $0 >= 0 && $0 <= 1 ? $0 : nil }
    }

    /// Every condition against `report`; a condition naming a step no request took fails.
    public func evaluate(_ report: LoadReport) -> SLOResult {
        var violations: [String] = []
        for condition in conditions {
            let steps: [LoadReport.Step]
            if let name = condition.step {
                steps = report.steps.filter { $0.key == name || $0.key.hasPrefix(name + ".") }.map(\.value)
                if steps.isEmpty {
                    violations.append("\(condition.text): no request took step \(name)")
                    continue
                }
            } else {
                steps = [report.overall]
            }
            for step in steps {
                let observed: Double =
                    switch condition.metric {
                    case .percentile(let p): p == 99.9 ? step.p999Ms : p == 99 ? step.p99Ms : p == 90 ? step.p90Ms : step.p50Ms
                    case .max: step.maxMs
                    case .errors: step.count == 0 ? 0 : Double(step.errors) / Double(step.count)
                    case .rps: step.rps
                    }
                let holds =
                    condition.below
                    ? (condition.inclusive ? observed <= condition.value : observed < condition.value)
                    : (condition.inclusive ? observed >= condition.value : observed > condition.value)
                if !holds { violations.append("\(condition.text): observed \(Self.format(observed, condition.metric))") }
            }
        }
        return SLOResult(objective: description, passed: violations.isEmpty, violations: violations)
    }

    static func format(_ value: Double, _ metric: Condition.Metric) -> String {
        switch metric {
        case .errors: String(format: "%.3f%%", value * 100)
        case .rps: String(format: "%.1f requests/s", value)
        default: String(format: "%.2f ms", value)
        }
    }
}

public struct SLOResult: Codable, Sendable {
    public var objective: String
    public var passed: Bool
    public var violations: [String]
}
