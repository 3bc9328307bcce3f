import Foundation
import Histogram
import StorefrontCore

/// A run's outcome: per step and overall, what `--json` writes and the table prints.
public struct LoadReport: Codable, Sendable {
    public struct Step: Codable, Sendable {
        public var count: Int
        public var errors: Int
        public var rejected: Int
        public var errorsByKind: [String: Int]
        public var rejectedByKind: [String: Int]
        public var rps: Double
        public var p50Ms: Double
        public var p90Ms: Double
        public var p99Ms: Double
        public var p999Ms: Double
        public var maxMs: Double
        public var regions: [String: Int]
    }

    /// `open` (arrivals on a schedule, latency from each request's intended start) or `closed`.
    public var model: String
    /// The profile, or the concurrency and duration.
    public var load: String
    public var mix: String
    /// Requests made by journeys; `setupRequests` prepared the run (catalog sample, stock) and are apart.
    public var requests: Int
    public var errors: Int
    public var rejected: Int
    public var setupRequests: Int
    public var journeys: Int
    public var durationS: Double
    /// When the run (after its preparation) began, in seconds since 1970: the timeline counts from here.
    public var startedUnix: Double
    public var rps: Double
    /// Whether latencies count from each request's intended start (open model), so a stall that holds
    /// requests back shows in them instead of hiding.
    public var coordinatedOmissionCorrected: Bool
    public var overall: Step
    public var steps: [String: Step]
    public var regions: [String: Int]
    /// CPU the generator itself used, in cores: near the machine's count, the generator was the limit.
    public var generatorCPUCores: Double
    public var coresAvailable: Int
    public var slo: SLOResult?
    /// Requests by when they were due, with `--timeline`: each bucket's start in milliseconds from the run's
    /// start, requests, errors by kind, and the regions that answered.
    public var timeline: [TimelineBucket]?

    public struct TimelineBucket: Codable, Sendable {
        public var startMs: Int
        public var requests: Int
        public var errors: Int
        public var errorsByKind: [String: Int]
        public var regions: [String: Int]
    }

    static func step(_ stats: LoadRecorder.Step, duration: Duration) -> Step {
        func ms(_ micros: UInt64) -> Double { Double(micros) / 1000 }
        let latencies = stats.latencies
        let empty = latencies.totalCount == 0
        return Step(
            count: stats.count,
            errors: stats.errors.values.reduce(0, +),
            rejected: stats.rejected.values.reduce(0, +),
            errorsByKind: stats.errors,
            rejectedByKind: stats.rejected,
            rps: duration > .zero ? Double(stats.count) / duration.seconds : 0,
            p50Ms: empty ? 0 : ms(latencies.valueAtPercentile(50)),
            p90Ms: empty ? 0 : ms(latencies.valueAtPercentile(90)),
            p99Ms: empty ? 0 : ms(latencies.valueAtPercentile(99)),
            p999Ms: empty ? 0 : ms(latencies.valueAtPercentile(99.9)),
            maxMs: empty ? 0 : ms(latencies.max),
            regions: stats.regions
        )
    }

    init(
        recorder: LoadRecorder,
        model: String,
        load: String,
        mix: JourneyMix,
        duration: Duration,
        corrected: Bool,
        cpuCores: Double,
        timelineWidth: Duration? = nil,
        startedUnix: Double = Date().timeIntervalSince1970
    ) {
        let state = recorder.snapshot
        var combined = LoadRecorder.Step()
        for stats in state.steps.values {
            combined.latencies.add(stats.latencies)
            combined.count += stats.count
            combined.errors.merge(stats.errors, uniquingKeysWith: +)
            combined.rejected.merge(stats.rejected, uniquingKeysWith: +)
            combined.regions.merge(stats.regions, uniquingKeysWith: +)
        }
        let overall = Self.step(combined, duration: duration)
        self.model = model
        self.load = load
        self.mix = mix.description
        requests = overall.count
        errors = overall.errors
        rejected = overall.rejected
        setupRequests = state.setupRequests
        journeys = state.journeysStarted
        durationS = duration.seconds
        self.startedUnix = startedUnix
        rps = overall.rps
        coordinatedOmissionCorrected = corrected
        self.overall = overall
        steps = state.steps.mapValues { Self.step($0, duration: duration) }
        regions = overall.regions
        generatorCPUCores = cpuCores
        coresAvailable = ProcessInfo.processInfo.activeProcessorCount
        timeline = timelineWidth.map { width in
            state.timeline.sorted { $0.key < $1.key }.map { index, bucket in
                TimelineBucket(
                    startMs: Int((width * index).milliseconds),
                    requests: bucket.requests,
                    errors: bucket.errors,
                    errorsByKind: bucket.kinds,
                    regions: bucket.regions
                )
            }
        }
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// The table a person reads at the end of a run.
    public var table: String {
        let header = ["step", "count", "rps", "errors", "rejected", "p50", "p90", "p99", "p99.9", "max", "served by"]
        var rows = [header]
        for (name, step) in steps.sorted(by: { $0.key < $1.key }) + [("all", overall)] {
            rows.append([
                name, "\(step.count)", String(format: "%.1f", step.rps), Self.kinds(step.errorsByKind), Self.kinds(step.rejectedByKind),
                Self.ms(step.p50Ms), Self.ms(step.p90Ms), Self.ms(step.p99Ms), Self.ms(step.p999Ms), Self.ms(step.maxMs),
                step.regions.sorted { $0.value > $1.value }.map {
                    "\($0.key) \(Int((Double($0.value) / Double(max(step.count, 1)) * 100).rounded()))%"
                }
                .joined(separator: " "),
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max()! }
        let lines = rows.map { row in
            row.enumerated().map { column, cell in
                column == 0 || column == row.count - 1 || column == 3 || column == 4
                    ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }
        var text = lines.joined(separator: "\n")
        text +=
            "\n\n\(journeys) journeys, \(requests) requests in \(String(format: "%.1f", durationS)) s (\(String(format: "%.0f", rps)) requests/s), "
        text += "\(errors) errors, \(rejected) rejected; \(setupRequests) setup requests not counted. "
        text +=
            coordinatedOmissionCorrected
            ? "Latencies count from each request's intended start (open model)."
            : "Closed model: latencies count from each request's actual start, so a stall hides the requests it held back."
        text += String(format: "\nGenerator CPU: %.2f of %d cores", generatorCPUCores, coresAvailable)
        if generatorCPUCores > Double(coresAvailable) / 2 {
            text += " — more than half the machine: if the server runs here too, the generator may have been the limit"
        }
        return text
    }

    static func ms(_ value: Double) -> String { value >= 100 ? String(format: "%.0f ms", value) : String(format: "%.2f ms", value) }

    static func kinds(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "0" : counts.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }
}
