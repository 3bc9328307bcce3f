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

extension PSQLError {
    /// What went wrong, for an operator reading the health model: the server's SQLSTATE and message, or the
    /// network error underneath. Never a query's text or its values.
    public var operatorSummary: String {
        if let state = serverInfo?[.sqlState] {
            return "server error \(state): \(serverInfo?[.message] ?? "")"
        }
        if code == .connectionError, let underlying { return "could not connect: \(underlying)" }
        if let underlying { return "\(code): \(underlying)" }
        return "\(code)"
    }
}
