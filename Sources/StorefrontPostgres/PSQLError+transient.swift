import PostgresNIO
import StorefrontCore

extension PSQLError: TransientFailure {
    /// Lock timeout, statement timeout, serialization failure, deadlock, too many connections, shutting
    /// down or starting up: worth a retry, not the shopper's fault, and not a bug.
    public var isTransient: Bool {
        guard let state = serverInfo?[.sqlState] else { return code == .connectionError }
        return ["55P03", "57014", "40001", "40P01", "53300", "57P01", "57P03"].contains(state)
    }
}
