import Foundation
import Synchronization

/// What this region knows about its own health, from samples taken in the background.
///
/// Probes read it and never touch a dependency themselves, so an orchestrator may probe as often as it
/// likes without adding load to the database.
public final class HealthState: Sendable {
    public struct DatabaseSample: Sendable {
        public var reachable: Bool
        public var latency: Duration
        public var at: ContinuousClock.Instant
        public var error: String?

        public init(reachable: Bool, latency: Duration, at: ContinuousClock.Instant, error: String? = nil) {
            self.reachable = reachable
            self.latency = latency
            self.at = at
            self.error = error
        }
    }

    private struct State {
        var migrated = false
        var catalogLoaded = false
        var database: DatabaseSample?
    }

    private let state = Mutex(State())
    /// How often the database is sampled; a sample older than three intervals counts as failed, so a
    /// hung prober cannot freeze a green answer.
    public let sampleInterval: Duration

    public init(sampleInterval: Duration = .seconds(1)) {
        self.sampleInterval = sampleInterval
    }

    public func markMigrated() { state.withLock { $0.migrated = true } }
    public func markCatalogLoaded() { state.withLock { $0.catalogLoaded = true } }
    public func record(_ sample: DatabaseSample) { state.withLock { $0.database = sample } }

    public struct Verdict: Sendable, Equatable {
        public var ok: Bool
        /// Why not, one entry per failing check, for people reading the probe.
        public var reasons: [String]

        public init(ok: Bool, reasons: [String]) {
            self.ok = ok
            self.reasons = reasons
        }
    }

    /// Started: migrations applied, catalog loaded, first database sample taken.
    public func startup() -> Verdict {
        let state = state.withLock { $0 }
        var reasons: [String] = []
        if !state.migrated { reasons.append("migrations not applied yet") }
        if !state.catalogLoaded { reasons.append("catalog not loaded yet") }
        if state.database == nil { reasons.append("database not sampled yet") }
        return Verdict(ok: reasons.isEmpty, reasons: reasons)
    }

    /// Ready to take traffic: started, and the local database answered recently.
    public func readiness(now: ContinuousClock.Instant = .now) -> Verdict {
        var verdict = startup()
        if let sample = state.withLock({ $0.database }) {
            if !sample.reachable {
                verdict.reasons.append("database unreachable: \(sample.error ?? "no answer")")
            } else if now - sample.at > sampleInterval * 3 {
                verdict.reasons.append("database sample is stale")
            }
        }
        verdict.ok = verdict.reasons.isEmpty
        return verdict
    }
}
