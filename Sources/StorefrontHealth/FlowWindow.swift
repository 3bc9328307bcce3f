import Foundation
import Synchronization

/// Every flow's requests over the last few seconds: how many, how many failed, how long they took, and how
/// long the ones still running have been waiting.
///
/// Recording costs one lock and a few additions, so it can run on every request.
public final class FlowWindows: Sendable {
    /// Latency buckets grow by a quarter from 0.1 ms, so a percentile read from them is within 25 %.
    static let bucketBounds: [Double] = (0..<64).map { 0.1 * pow(1.25, Double($0)) }

    struct Second {
        var epoch: Int64 = -1
        var requests = 0
        var errors = 0
        var latencies = [Int](repeating: 0, count: FlowWindows.bucketBounds.count + 1)
        /// Requests that began in this second, and those of them that have ended.
        var begun = 0
        var ended = 0

        mutating func reset(to epoch: Int64) {
            self.epoch = epoch
            requests = 0
            errors = 0
            begun = 0
            ended = 0
            for index in latencies.indices { latencies[index] = 0 }
        }
    }

    public struct Summary: Sendable, Equatable {
        /// Finished requests.
        public var requests: Int
        public var errors: Int
        /// Requests begun in the window and not finished.
        public var running: Int = 0
        /// In milliseconds, of the finished and the running requests together, a running one at its age so far;
        /// nil without either.
        public var p99: Double?

        public var errorRatio: Double { requests == 0 ? 0 : Double(errors) / Double(requests) }
    }

    public let seconds: Int
    /// One lock per flow, so flows never wait on each other.
    final class Window: Sendable {
        let seconds: Mutex<[Second]>
        init(seconds: Int) { self.seconds = Mutex([Second](repeating: Second(), count: seconds)) }
    }

    private let windows: [Flow: Window]

    public init(seconds: Int = 10) {
        self.seconds = seconds
        windows = Dictionary(uniqueKeysWithValues: Flow.allCases.map { ($0, Window(seconds: seconds)) })
    }

    /// A server error (5xx) counts against the flow; a shopper's mistake (4xx) does not. A request counts in
    /// the second it began (`epoch`): one that waited out an outage and ended after it is the outage's.
    public func record(_ flow: Flow, milliseconds: Double, serverError: Bool, at epoch: Int64 = FlowWindows.nowEpoch()) {
        let bucket = Self.bucket(milliseconds)
        windows[flow]!.seconds.withLock { window in
            let slot = Int(epoch % Int64(seconds))
            // A second that has left the window already (a request that ran longer than it) counts no more.
            if window[slot].epoch > epoch { return }
            if window[slot].epoch != epoch { window[slot].reset(to: epoch) }
            window[slot].requests += 1
            if serverError { window[slot].errors += 1 }
            window[slot].latencies[bucket] += 1
        }
    }

    /// Marks a request of the flow begun, and returns the second to give `end` when it is over, however it
    /// ends (answered, failed, cancelled).
    public func begin(_ flow: Flow, at epoch: Int64 = FlowWindows.nowEpoch()) -> Int64 {
        windows[flow]!.seconds.withLock { window in
            let slot = Int(epoch % Int64(seconds))
            if window[slot].epoch > epoch { return }
            if window[slot].epoch != epoch { window[slot].reset(to: epoch) }
            window[slot].begun += 1
        }
        return epoch
    }

    public func end(_ flow: Flow, began epoch: Int64) {
        windows[flow]!.seconds.withLock { window in
            let slot = Int(epoch % Int64(seconds))
            // Its second has left the window: the request is no longer counted as running.
            guard window[slot].epoch == epoch else { return }
            window[slot].ended += 1
        }
    }

    /// The window's requests at `now` (seconds since 1970). A request still running counts in the percentile
    /// at its age so far, at least: from the end of the second it began in. Requests blocked (on a lock, a
    /// stuck dependency) have not finished, and while they wait few others do: without them the flow would
    /// look idle, or fast. A request that has run longer than the window is no longer seen.
    ///
    /// With `after` (a second in which the database was last in trouble), finished requests count only if
    /// they began after it: the trouble explains them. One still running from before it counts from that
    /// second's end: the trouble explains its wait until then, not what it waits after.
    public func summary(_ flow: Flow, at now: Double = Date().timeIntervalSince1970, after: Int64? = nil) -> Summary {
        let epoch = Int64(now.rounded(.down))
        var summary = Summary(requests: 0, errors: 0)
        var latencies = [Int](repeating: 0, count: Self.bucketBounds.count + 1)
        windows[flow]!.seconds.withLock { window in
            for second in window where second.epoch > epoch - Int64(seconds) && second.epoch <= epoch {
                if second.epoch > after ?? .min {
                    summary.requests += second.requests
                    summary.errors += second.errors
                    for index in latencies.indices { latencies[index] += second.latencies[index] }
                }
                let running = max(0, second.begun - second.ended)
                guard running > 0 else { continue }
                summary.running += running
                let since = max(second.epoch, after ?? .min) + 1
                latencies[Self.bucket(max(0, now - Double(since)) * 1000)] += running
            }
        }
        let total = summary.requests + summary.running
        guard total > 0 else { return summary }
        let rank = Int((Double(total) * 0.99).rounded(.up))
        var seen = 0
        for (index, count) in latencies.enumerated() {
            seen += count
            if seen >= rank {
                summary.p99 = Self.bucketBounds[min(index, Self.bucketBounds.count - 1)]
                break
            }
        }
        return summary
    }

    static func bucket(_ milliseconds: Double) -> Int {
        bucketBounds.firstIndex { milliseconds <= $0 } ?? bucketBounds.count
    }

    public static func nowEpoch() -> Int64 { Int64(Date().timeIntervalSince1970) }
}
