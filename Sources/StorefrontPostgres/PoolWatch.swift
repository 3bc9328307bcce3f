import Foundation
import Logging
import StorefrontCore
import Synchronization

/// Follows a PostgresNIO pool's connections through the events it logs in the background, so that a stop
/// that does not end can say what the pool was doing. PostgresNIO 1.33.2 logs a connection's creation, a
/// failed attempt, its close and its keep-alive, but neither its establishment nor its leases: a connection
/// "created" may be open or still connecting.
///
/// It also drops one warning: "Trying to lease connection from `PostgresClient`, but `PostgresClient.run()`
/// hasn't been called yet". Our pools always run in the same task group as their first users, which may
/// lease a moment before `run()` begins; the lease then waits for it, as it should.
public final class PoolWatch: Sendable {
    /// Each connection's latest event and when it happened.
    private let connections = Mutex<[String: (event: String, at: ContinuousClock.Instant)]>([:])
    /// The latest events, oldest first.
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
        let event: String
        switch message {
        case "Creating new connection": event = "created"
        case "Connection creation failed": event = "failed to connect"
        case "Close connection": event = "closing"
        case "Connection closed": event = "closed"
        case "run ping pong": event = "keep-alive"
        default: return
        }
        connections.withLock { connections in
            connections[connection] = event == "closed" || event == "failed to connect" ? nil : (event, .now)
        }
        recent.withLock { recent in
            if recent.count == Self.recentLimit { recent.removeFirst() }
            recent.append((.now, "connection \(connection) \(event)"))
        }
    }

    /// Each connection the pool holds or is opening, with its latest event.
    public var description: String {
        let now = ContinuousClock.now
        let all = connections.withLock { $0 }.sorted { $0.key < $1.key }
        guard !all.isEmpty else { return "no connections" }
        return all.map { id, entry in "connection \(id) \(entry.event) \(Self.seconds(now - entry.at)) ago" }.joined(separator: ", ")
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
