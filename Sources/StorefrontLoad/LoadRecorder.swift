import Histogram
import StorefrontCore
import Synchronization

/// What happened to one request, as a load test counts it.
public enum Outcome: Sendable, Equatable {
    case ok
    /// An answer the journey expects under load and that is not a failure: `409 out-of-stock` at a
    /// checkout when the pairs are gone.
    case rejected(String)
    /// Everything else: a 5xx or unexpected 4xx (`503 unavailable`), `connection`, `timeout`.
    case error(String)
}

/// Every request's latency and outcome, per step, safe to record from many tasks at once; and a window that
/// the progress line empties each second.
public final class LoadRecorder: Sendable {
    struct Step {
        var latencies = LoadRecorder.histogram()
        var count = 0
        var errors: [String: Int] = [:]
        var rejected: [String: Int] = [:]
        var regions: [String: Int] = [:]
    }

    struct Window {
        var latencies = LoadRecorder.histogram()
        var requests = 0
        var errors = 0
    }

    /// Requests by when they were due, in buckets of the timeline's width: what a drill reads around a crash.
    struct Bucket {
        var requests = 0
        var errors = 0
        var kinds: [String: Int] = [:]
        var regions: [String: Int] = [:]
    }

    struct State {
        var steps: [String: Step] = [:]
        var window = Window()
        var journeysStarted = 0
        var journeysInFlight = 0
        var setupRequests = 0
        var timeline: [Int: Bucket] = [:]
    }

    private let state = Mutex(State())
    /// The run's start, from which the timeline counts, and its buckets' width; no timeline without them.
    private let timelineOrigin = Mutex<(start: ContinuousClock.Instant, width: Duration)?>(nil)

    public init() {}

    func startTimeline(at start: ContinuousClock.Instant, width: Duration) {
        timelineOrigin.withLock { $0 = (start, width) }
    }

    /// Microseconds from 1 µs to a minute at three significant digits; longer values grow it.
    static func histogram() -> Histogram<UInt64> {
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
        return histogram
    }

    public func record(_ step: String, latency: Duration, outcome: Outcome, region: String?, due: ContinuousClock.Instant? = nil) {
        let micros = UInt64(max(1, latency.seconds * 1_000_000))
        let bucket = timelineOrigin.withLock { $0 }.map { origin in
            Int(((due ?? ContinuousClock.now - latency) - origin.start).seconds / origin.width.seconds)
        }
        state.withLock { state in
            if let bucket {
                var entry = state.timeline[bucket] ?? Bucket()
                entry.requests += 1
                if case .error(let kind) = outcome {
                    entry.errors += 1
                    entry.kinds[kind, default: 0] += 1
                }
                if let region { entry.regions[region, default: 0] += 1 }
                state.timeline[bucket] = entry
            }
            var stats = state.steps[step] ?? Step()
            stats.count += 1
            _ = stats.latencies.record(micros)
            switch outcome {
            case .ok: break
            case .rejected(let kind): stats.rejected[kind, default: 0] += 1
            case .error(let kind): stats.errors[kind, default: 0] += 1
            }
            if let region { stats.regions[region, default: 0] += 1 }
            state.steps[step] = stats
            state.window.requests += 1
            _ = state.window.latencies.record(micros)
            if case .error = outcome { state.window.errors += 1 }
        }
    }

    /// A request made to prepare the run, not part of any journey: counted apart.
    public func recordSetupRequest() {
        state.withLock { $0.setupRequests += 1 }
    }

    public func journeyStarted() {
        state.withLock {
            $0.journeysStarted += 1
            $0.journeysInFlight += 1
        }
    }

    public func journeyEnded() {
        state.withLock { $0.journeysInFlight -= 1 }
    }

    /// The last window's figures, and a new window.
    func takeWindow() -> (requests: Int, errors: Int, p99: Duration?, journeysStarted: Int, inFlight: Int) {
        state.withLock { state in
            let window = state.window
            state.window = Window()
            let p99 = window.requests > 0 ? Duration.microseconds(Int64(window.latencies.valueAtPercentile(99))) : nil
            return (window.requests, window.errors, p99, state.journeysStarted, state.journeysInFlight)
        }
    }

    var snapshot: State { state.withLock { $0 } }
}
