import Foundation
import Logging
import PostgresNIO
import StorefrontCore

/// What this region's database knows of replication: each subscription to a peer, each peer's heartbeat
/// as seen here, and the slots peers read this region's changes from.
public struct ReplicationReport: Sendable {
    public struct Subscription: Sendable, Codable {
        public var name: String
        public var enabled: Bool
        public var workerRunning: Bool
        public var receivedLSN: String?
        public var latestEndLSN: String?
        public var lastMessageAt: Date?
        public var applyErrors: Int
        public var syncErrors: Int
    }

    public struct Slot: Sendable {
        public var name: String
        public var active: Bool
        /// `reserved`, `extended`, `unreserved` or `lost` (past `max_slot_wal_keep_size`).
        public var walStatus: String?
        public var safeWALBytes: Int64?

        public var isLost: Bool { walStatus == "lost" }
    }

    public var subscriptions: [Subscription]
    /// Seconds since each region's latest heartbeat, as replicated here.
    public var heartbeatAge: [String: Double]
    public var slots: [Slot]
}
