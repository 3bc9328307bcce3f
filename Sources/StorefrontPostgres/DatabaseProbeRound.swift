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

    /// A probe's failure as the prober described it: what it shows, whether it cannot be a fluke, and whether
    /// the database gave no answer by the deadline (busy or gone: `Silence` tells which by how long it lasts).
    public struct Failure: Error, Codable, Sendable, CustomStringConvertible {
        public var description: String
        public var certain: Bool
        public var unanswered: Bool

        public init(_ description: String, certain: Bool, unanswered: Bool) {
            self.description = description
            self.certain = certain
            self.unanswered = unanswered
        }

        private enum CodingKeys: String, CodingKey { case description, certain, unanswered }

        /// A round announced by an instance of the version before (no `unanswered`) reads as answered, as that
        /// version took it.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            description = try container.decode(String.self, forKey: .description)
            certain = try container.decode(Bool.self, forKey: .certain)
            unanswered = try container.decodeIfPresent(Bool.self, forKey: .unanswered) ?? false
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
