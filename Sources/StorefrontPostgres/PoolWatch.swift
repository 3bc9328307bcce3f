import Foundation
import Logging
import StorefrontCore
import Synchronization

/// Follows a PostgresNIO pool's connections through the events it logs in the background (connecting,
/// established, failed, leased, released, closed), so that a stop that does not end can say which connection
/// attempt or lease the pool is waiting for. PostgresNIO exposes no such state otherwise.
///
/// It also drops one warning: "Trying to lease connection from `PostgresClient`, but `PostgresClient.run()`
/// hasn't been called yet". Our pools always run in the same task group as their first users, which may
/// lease a moment before `run()` begins; the lease then waits for it, as it should.
public final class PoolWatch: Sendable {
    private enum State: String {
        case connecting, idle, leased, closing
    }

    private let connections = Mutex<[String: (state: State, since: ContinuousClock.Instant)]>([:])
    /// The latest events, oldest first, for a report on a pool that does not stop.
    private let recent = Mutex<[(at: ContinuousClock.Instant, event: String)]>([])
    static let recentLimit = 12

    public init() {}

    /// `logger` with its handler wrapped: every record still reaches it, and the pool's events are followed.
    public func watching(_ logger: Logger) -> Logger {
        var watched = logger
        watched.handler = Handler(upstream: logger.handler, watch: self)
        return watched
    }

    fileprivate func observe(_ message: String, connection: String) {
        let state: State?
        switch message {
        case "Creating new connection": state = .connecting
        case "Connection established", "Connection released": state = .idle
        case "Connection leased": state = .leased
        case "Close connection": state = .closing
        case "Connection creation failed", "Connection closed": state = nil
        default: return
        }
        connections.withLock { connections in
            if let state { connections[connection] = (state, .now) } else { connections[connection] = nil }
        }
        recent.withLock { recent in
            if recent.count == Self.recentLimit { recent.removeFirst() }
            recent.append((.now, "connection \(connection): \(message)"))
        }
    }

    /// Each connection the pool holds or is opening, and for how long it has been in that state.
    public var description: String {
        let now = ContinuousClock.now
        let all = connections.withLock { $0 }.sorted { $0.key < $1.key }
        guard !all.isEmpty else { return "no connections" }
        return all.map { id, entry in "connection \(id) \(entry.state.rawValue) for \(Self.seconds(now - entry.since))" }.joined(separator: ", ")
    }

    /// The latest events, each with how long ago it happened.
    public var recentEvents: String {
        let now = ContinuousClock.now
        return recent.withLock { $0 }.map { "\($0.event) \(Self.seconds(now - $0.at)) ago" }.joined(separator: "; ")
    }

    static func seconds(_ duration: Duration) -> String {
        "\((duration.milliseconds / 1000).formatted(.number.precision(.fractionLength(1)))) s"
    }

    private struct Handler: LogHandler {
        var upstream: any LogHandler
        let watch: PoolWatch

        /// The pool's events are debug records: they must reach `log` whatever the upstream level.
        var logLevel: Logger.Level {
            get { .debug }
            set { upstream.logLevel = newValue }
        }

        var metadata: Logger.Metadata {
            get { upstream.metadata }
            set { upstream.metadata = newValue }
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { upstream[metadataKey: key] }
            set { upstream[metadataKey: key] = newValue }
        }

        func log(event: LogEvent) {
            if event.level == .warning, event.message.description.hasPrefix("Trying to lease connection from `PostgresClient`, but") {
                return
            }
            if let connection = event.metadata?["psql_connection_id"] {
                watch.observe(event.message.description, connection: "\(connection)")
            }
            if event.level >= upstream.logLevel { upstream.log(event: event) }
        }
    }
}
