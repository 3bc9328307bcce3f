import Foundation

/// One round of the database probes (`DatabaseProbe`) as the instance that ran it tells the region's other
/// instances (`RegionSession.announce`), so that one instance probes for all and the probes' load on the
/// database does not grow with the instance count.
public struct DatabaseProbeRound: Codable, Sendable {
    public typealias Replication = Outcome<ReplicationState>

    public struct ReplicationState: Codable, Sendable {
        public var subscriptions: [ReplicationReport.Subscription]
        public var heartbeatAges: [String: Double]

        public init(subscriptions: [ReplicationReport.Subscription], heartbeatAges: [String: Double]) {
            self.subscriptions = subscriptions
            self.heartbeatAges = heartbeatAges
        }
    }

    /// A probe's failure as the prober described it: what it shows, and whether it cannot be a fluke.
    public struct Failure: Error, Codable, Sendable, CustomStringConvertible {
        public var description: String
        public var certain: Bool

        public init(_ description: String, certain: Bool) {
            self.description = description
            self.certain = certain
        }
    }

    public enum Outcome<Value: Codable & Sendable>: Codable, Sendable {
        case measured(Value)
        case failed(Failure)

        public var result: Result<Value, any Error> {
            switch self {
            case .measured(let value): .success(value)
            case .failed(let failure): .failure(failure)
            }
        }
    }

    /// Milliseconds `SELECT 1` took.
    public var read: Outcome<Double>
    /// Milliseconds the heartbeat's upsert took.
    public var write: Outcome<Double>
    public var replication: Replication
    /// Who ran it, for the logs.
    public var by: String

    public init(read: Outcome<Double>, write: Outcome<Double>, replication: Replication, by: String) {
        self.read = read
        self.write = write
        self.replication = replication
        self.by = by
    }
}
