import Foundation

/// An operator's decision to take the region out of rotation while it finishes its work.
public struct Drain: Sendable, Equatable {
    public var reason: String
    public var requestedBy: String
    public var since: Date
    /// The drain lifts by itself then, so a forgotten drain does not keep a region out for good.
    public var until: Date?

    public init(reason: String, requestedBy: String, since: Date = Date(), until: Date? = nil) {
        self.reason = reason
        self.requestedBy = requestedBy
        self.since = since
        self.until = until
    }

    public func isActive(at now: Date) -> Bool { until.map { now < $0 } ?? true }
}

/// The region's drain (nil: none) and the version of it, which grows with every change: of two accounts of
/// the drain, the later version is the truth.
public struct VersionedDrain: Sendable, Equatable {
    public var drain: Drain?
    public var version: Int64

    public init(drain: Drain?, version: Int64) {
        self.drain = drain
        self.version = version
    }
}

/// Where the region's drain is kept: in its database, so that a drain sent to any instance of the region
/// takes every instance out of rotation (each hears of it through `RegionSession`).
public protocol RegionDrains: Sendable {
    func drain(_ drain: Drain) async throws -> VersionedDrain
    func lift() async throws -> VersionedDrain
}
