/// How well a part of the region works. Ordered, so a node's state is the worst of what it depends on.
public enum HealthStatus: Int, Comparable, Sendable, CaseIterable, CustomStringConvertible {
    case healthy = 0
    case degraded = 1
    case unhealthy = 2

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .healthy: "healthy"
        case .degraded: "degraded"
        case .unhealthy: "unhealthy"
        }
    }

    /// The IETF health-check draft's name for the state.
    public var checkStatus: String {
        switch self {
        case .healthy: "pass"
        case .degraded: "warn"
        case .unhealthy: "fail"
        }
    }
}
