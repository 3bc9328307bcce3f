import Foundation
import Testing

@testable import StorefrontHealth

/// The region's memory of its health: bounded in age and in count, and read incrementally without losing or
/// repeating an entry.
@Suite struct HealthHistoryTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func sample(_ value: Double, _ status: HealthStatus = .healthy) -> SignalSample {
        SignalSample(value: value, unit: "ms", status: status, output: "\(value) ms")
    }

    @Test func samplesOlderThanTheSpanAreDropped() {
        var history = HealthHistory(span: .seconds(60), interval: .seconds(1))
        for second in 0..<120 {
            history.record(sample(Double(second)), for: .databaseRead, at: start.addingTimeInterval(Double(second)))
        }
        let points = history.entries(after: nil).series.first { $0.signal == .databaseRead }?.points ?? []
        #expect(points.count == 61, "the last minute, both ends included")
        #expect(points.first?.value == 59)
        #expect(points.last?.value == 119)
    }

    /// A prober sampling far faster than its interval (a bug, or retries gone wild) cannot grow the history
    /// past its count per signal, however recent the samples.
    @Test func aFloodOfSamplesIsBoundedByCount() {
        var history = HealthHistory(span: .seconds(3600), interval: .seconds(1))
        for index in 0..<20_000 {
            history.record(sample(Double(index)), for: .databaseRead, at: start)
        }
        let points = history.entries(after: nil).series[0].points
        #expect(points.count == history.pointsPerSignal)
        #expect(history.pointsPerSignal < 10_000)
        #expect(points.last?.value == 19_999)
    }

    /// An hour of a three-region model's signals at two samples a second (the prober's rate while a signal
    /// is in doubt, all hour long), and a flapping signal's changes at the bound: within the 5 MB the history
    /// may cost.
    @Test func anHourOfEverySignalFitsInFiveMegabytes() {
        let model = HealthModel(region: "eu-west", catalogHome: "us-east", peers: ["us-east", "ap-southeast"])
        var history = HealthHistory(interval: .seconds(1))
        for halfSecond in 0..<7400 {
            let now = start.addingTimeInterval(Double(halfSecond) / 2)
            for signal in model.signals { history.record(sample(12.5), for: signal, at: now) }
        }
        let node = HealthReport.Node(
            id: "signal:replication.us-east.lag",
            kind: .signal,
            status: .degraded,
            since: start,
            reason: String(repeating: "replication lag 12.5 s, degraded from 5 s; ", count: 4),
            rootSignals: ["replication.us-east.lag"],
            impactedFlows: ["browse", "cart", "checkout", "order_history"],
            dependsOn: [],
            signal: nil,
            sample: nil
        )
        for index in 0..<5000 { history.record((node, index.isMultiple(of: 2) ? .healthy : .degraded), at: start.addingTimeInterval(3600)) }
        #expect(history.changes.count == history.maximumChanges)
        #expect(model.signals.count >= 15)
        #expect(history.entries(after: nil).series.allSatisfy { $0.points.count >= 7000 }, "the whole hour, every sample")
        print("history: \(model.signals.count) signals for an hour and \(history.changes.count) changes hold about \(history.approximateBytes) bytes")
        #expect(history.approximateBytes < 5 << 20)
    }

    /// Stamps strictly increase, even for entries recorded in the same millisecond or with the clock going
    /// back: `until` of one answer asks for exactly the entries recorded after it.
    @Test func readingAfterAnAnswersUntilGivesEveryLaterEntryOnce() {
        var history = HealthHistory(interval: .seconds(1))
        for index in 0..<5 { history.record(sample(Double(index)), for: .databaseRead, at: start) }
        let first = history.entries(after: nil)
        let until = history.until
        history.record(sample(5), for: .databaseRead, at: start.addingTimeInterval(-10))
        history.record(sample(6), for: .poolWait, at: start)
        let next = history.entries(after: until)
        #expect(first.series[0].points.map(\.value) == [0, 1, 2, 3, 4])
        #expect(next.series.first { $0.signal == .databaseRead }?.points.map(\.value) == [5])
        #expect(next.series.first { $0.signal == .poolWait }?.points.map(\.value) == [6])
        let times = (first.series[0].points + next.series.flatMap(\.points)).map(\.time)
        #expect(Set(times).count == times.count)
        #expect(history.entries(after: history.until).series.allSatisfy { $0.points.isEmpty })
    }

    /// The monitor keeps every sample it is given and every state change its evaluations make, with the
    /// reason and root signals the report had.
    @Test func theMonitorRecordsSamplesAndStateChanges() throws {
        let model = HealthModel(region: "eu-west", catalogHome: "us-east", peers: ["us-east", "ap-southeast"])
        var thresholds = HealthThresholds()
        thresholds.hysteresis = Hysteresis(toWorse: 1, toBetter: 1)
        let monitor = HealthMonitor(model: model, thresholds: thresholds, interval: .seconds(1))
        monitor.markMigrated()
        monitor.markCatalogLoaded()
        func round(_ read: SignalSample) {
            for signal in model.signals { monitor.record(signal == .databaseRead ? read : sample(1), for: signal) }
            monitor.completeRound()
        }
        round(sample(1))
        let (before, until, span) = monitor.history(after: nil)
        #expect(span == .seconds(3600))
        #expect(before.changes.contains { $0.node == "region" && $0.from == nil && $0.to == .healthy })
        round(SignalSample.failed(unit: "ms", "could not connect (refused)", certain: true))
        let (after, _, _) = monitor.history(after: until)
        #expect(after.series.first { $0.signal == .databaseRead }?.points.map(\.status) == [.unhealthy])
        #expect(after.series.first { $0.signal == .databaseRead }?.points.first?.value == nil)
        let read = try #require(after.changes.first { $0.node == "signal:database.read_latency" })
        #expect(read.from == .healthy && read.to == .unhealthy)
        #expect(read.reason?.contains("refused") == true)
        let region = try #require(after.changes.first { $0.node == "region" })
        #expect(region.rootSignals == ["database.read_latency"])
        #expect(Set(region.impactedFlows) == ["browse", "cart", "checkout", "order_history"])
        #expect(!after.changes.contains { $0.node.hasPrefix("signal:peers") }, "a node that did not change is not logged")
    }
}
