import DequeModule
import Foundation
import StorefrontCore

/// What the region's health looked like before anyone asked: every signal's samples and every change of a
/// node's state over the last `span`, so that an engineer paged at 3 a.m. sees when a signal began to worsen
/// and in what order the nodes followed. Bounded twice: by age, and by a count per signal and for the
/// changes, so that a prober gone wild or a flapping signal cannot grow it.
///
/// Every entry is stamped when it is recorded, strictly after the one before: `entries(after:)` with the
/// `until` of an earlier answer gives exactly what was recorded since, never an entry twice or none.
public struct HealthHistory: Sendable {
    /// One sample, as small as it can be: 16 bytes.
    public struct Point: Sendable, Equatable {
        /// Milliseconds since 1970.
        public var time: Int64
        public var value: Float?
        public var status: HealthStatus
    }

    public struct Series: Sendable {
        public var unit: String
        public var points: Deque<Point> = []
    }

    public struct Change: Sendable, Equatable {
        /// Milliseconds since 1970.
        public var time: Int64
        public var node: String
        public var from: HealthStatus?
        public var to: HealthStatus
        public var reason: String?
        public var rootSignals: [String]
        public var impactedFlows: [String]
    }

    public let span: Duration
    /// Samples kept per signal at most: the span's worth at twice the prober's rate (it samples at half its
    /// interval while a signal is in doubt), with room for the rounds a lost probe connection wakes early.
    public let pointsPerSignal: Int
    public let maximumChanges: Int
    public private(set) var series: [SignalID: Series] = [:]
    public private(set) var changes: Deque<Change> = []
    /// The stamp of the latest entry.
    public private(set) var until: Int64 = 0

    public init(span: Duration = .seconds(3600), interval: Duration, maximumChanges: Int = 2000) {
        self.span = span
        self.pointsPerSignal = Int((span / interval).rounded(.up)) * 5 / 2 + 10
        self.maximumChanges = maximumChanges
    }

    public mutating func record(_ sample: SignalSample, for signal: SignalID, at now: Date = Date()) {
        let time = stamp(now)
        var series = self.series.removeValue(forKey: signal) ?? Series(unit: sample.unit)
        series.unit = sample.unit
        series.points.append(Point(time: time, value: sample.value.map(Float.init), status: sample.status))
        Self.trim(&series.points, count: pointsPerSignal, before: time - Int64(span.milliseconds)) { $0.time }
        self.series[signal] = series
    }

    public mutating func record(_ change: (node: HealthReport.Node, from: HealthStatus?), at now: Date = Date()) {
        let time = stamp(now)
        changes.append(
            Change(
                time: time,
                node: change.node.id,
                from: change.from,
                to: change.node.status,
                reason: change.node.reason,
                rootSignals: change.node.rootSignals,
                impactedFlows: change.node.impactedFlows
            )
        )
        Self.trim(&changes, count: maximumChanges, before: time - Int64(span.milliseconds)) { $0.time }
    }

    /// What was recorded after `since` (milliseconds since 1970), or all of it.
    public func entries(after since: Int64?) -> HealthHistoryEntries {
        let since = since ?? .min
        let series = self.series.sorted { $0.key < $1.key }.map { signal, series in
            (signal: signal, unit: series.unit, points: Array(series.points.suffix(while: { $0.time > since })))
        }
        return HealthHistoryEntries(series: series, changes: Array(changes.suffix(while: { $0.time > since })))
    }

    /// About the memory the history holds, in bytes: its entries and the strings of its changes.
    public var approximateBytes: Int {
        let points = series.values.reduce(0) { $0 + $1.points.count } * MemoryLayout<Point>.stride
        let strings = changes.reduce(0) { total, change in
            total + change.node.utf8.count + (change.reason?.utf8.count ?? 0)
                + (change.rootSignals + change.impactedFlows).reduce(0) { $0 + $1.utf8.count + 16 }
        }
        return points + changes.count * MemoryLayout<Change>.stride + strings
    }

    private mutating func stamp(_ now: Date) -> Int64 {
        until = max(Int64((now.timeIntervalSince1970 * 1000).rounded(.down)), until + 1)
        return until
    }

    private static func trim<Element>(_ entries: inout Deque<Element>, count: Int, before oldest: Int64, time: (Element) -> Int64) {
        while let first = entries.first, entries.count > count || time(first) < oldest { entries.removeFirst() }
    }
}

public struct HealthHistoryEntries: Sendable {
    public var series: [(signal: SignalID, unit: String, points: [HealthHistory.Point])]
    public var changes: [HealthHistory.Change]
}

extension Deque {
    /// The elements at the end that satisfy `include`, for entries kept in order of time.
    fileprivate func suffix(while include: (Element) -> Bool) -> SubSequence {
        var start = endIndex
        while start > startIndex, include(self[index(before: start)]) { start = index(before: start) }
        return self[start...]
    }
}
