import PostgresNIO
import StorefrontCore
import _ConnectionPoolModule

extension PSQLError: TransientFailure {
    /// A failure of the database rather than of the query: it could not be reached, it ran out of time or
    /// resources, it ended the session, or the transaction lost a conflict. Worth a retry, not the shopper's
    /// fault, and not a bug. A query PostgreSQL refused as wrong (syntax, types, constraints) is a bug: 500.
    public var isTransient: Bool {
        switch code {
        case .server:
            guard let state = serverInfo?[.sqlState] else { return false }
            return Self.transientStates.contains(state) || Self.transientClasses.contains(String(state.prefix(2)))
        case .tooManyParameters, .invalidCommandTag:
            return false
        default:
            return true
        }
    }

    /// Lost while a statement may have been running, so what it changed is not known.
    public var outcomeUnknown: Bool {
        switch code {
        case .serverClosedConnection, .uncleanShutdown, .connectionError, .messageDecodingFailure, .unexpectedBackendMessage:
            return true
        case .server:
            // The session was ended from the server's side (administrator, crash, connection failure).
            guard let state = serverInfo?[.sqlState] else { return false }
            return state.hasPrefix("08") || ["57P01", "57P02"].contains(state)
        default:
            return false
        }
    }

    /// Lock or statement timeout, object in use, and a write refused as read-only: the region's database
    /// address reached a standby, as it does while the primary fails over. Refused before anything was
    /// written, so the outcome is known.
    static let transientStates: Set<String> = ["55P03", "57014", "55006", PSQLError.readOnly]

    /// read_only_sql_transaction: the server is a standby.
    static let readOnly = "25006"
    /// Connection exception, transaction rollback (serialization, deadlock), insufficient resources,
    /// operator intervention, system error, internal error.
    static let transientClasses: Set<String> = ["08", "40", "53", "57", "58", "XX"]
}

extension ConnectionPoolError: TransientFailure {
    /// No connection could be had (the pool is shut down or its connection attempts keep failing): nothing
    /// was sent.
    public var isTransient: Bool { true }
}

extension PSQLError {
    /// What went wrong, for anyone reading the health model: the server's SQLSTATE, or the kind of
    /// connection failure. Never a message (a DETAIL line can hold a whole row), an address or a query.
    public var publicSummary: String {
        if serverInfo?[.sqlState] == Self.readOnly { return "read-only: a standby answered (primary failover)" }
        if let state = serverInfo?[.sqlState] { return "server error \(state)" }
        guard code == .connectionError else { return "\(code)" }
        // The kind of network failure tells refused (nothing listens) from timed out (nothing answers).
        if connectionRefused { return "could not connect (refused)" }
        if connectTimedOut { return "could not connect (timed out)" }
        return "could not connect"
    }

    /// Nothing listened where the server should be.
    var connectionRefused: Bool { code == .connectionError && networkError.contains("refused") }

    /// Nothing answered the connection attempt in time: the server may be gone or only too busy to accept.
    public var connectTimedOut: Bool {
        code == .connectionError && (networkError.contains("timeout") || networkError.contains("timed out"))
    }

    /// The network error underneath, lowercased, for telling its kinds apart.
    private var networkError: String { underlying.map { String(describing: $0).lowercased() } ?? "" }

    /// A failure that one sample proves: nothing listens at the address, the server refuses the role or the
    /// database, a relation, function or privilege the statement needs is missing, or the server is shutting
    /// down or starting up. A slow answer, a timeout or a dropped connection can be a moment's trouble.
    public var isCertain: Bool {
        if let state = serverInfo?[.sqlState] { return Self.certainStates.contains(state) }
        return connectionRefused
    }

    /// The connection closed under the statement, from either side or by the network.
    public var connectionWasLost: Bool {
        [.serverClosedConnection, .uncleanShutdown, .clientClosedConnection, .connectionError].contains(code)
    }

    /// Invalid authorization, invalid password, unknown database, undefined table, undefined function,
    /// insufficient privilege, administrator shutdown, crash shutdown, cannot connect now, and a standby
    /// refusing a write (it refuses every write until it is promoted).
    static let certainStates: Set<String> = [
        "28000", "28P01", "3D000", "42P01", "42883", "42501", "57P01", "57P02", "57P03", PSQLError.readOnly,
    ]

    /// The same for an operator's log: the server's SQLSTATE and message, or the network error underneath.
    /// Never a query's text or its values.
    public var operatorSummary: String {
        if let state = serverInfo?[.sqlState] {
            return "server error \(state): \(serverInfo?[.message] ?? "")"
        }
        if code == .connectionError, let underlying { return "could not connect: \(underlying)" }
        if let underlying { return "\(code): \(underlying)" }
        return "\(code)"
    }
}

extension PSQLError: LogSafeDescribable {
    /// The code, the server's SQLSTATE, severity, message and where, the underlying network error, and the
    /// statement's text; never its values, nor the DETAIL line that can hold a whole row (an email, an
    /// address).
    public var logDescription: String {
        var parts = ["code: \(code)"]
        if let info = serverInfo {
            let fields: [(String, PSQLError.ServerInfo.Field)] = [
                ("sqlState", .sqlState), ("severity", .severity), ("message", .message), ("table", .tableName),
                ("constraint", .constraintName), ("context", .locationContext), ("routine", .routine),
            ]
            parts += fields.compactMap { name, field in info[field].map { "\(name): \($0)" } }
        }
        if let underlying { parts.append("underlying: \(String(reflecting: underlying))") }
        if let file { parts.append("at: \(file):\(line ?? 0)") }
        if let query { parts.append("sql: \(query.sql)") }
        return "PSQLError(\(parts.joined(separator: ", ")))"
    }
}
