import NIOCore
import PostgresNIO
import Synchronization

/// One callback on each connection's close for all its queries in flight.
///
/// `rows` must end a query when its connection closes first. A callback on `closeFuture` per query would
/// stay registered until the connection closes — NIO keeps a future's callbacks until it completes — so a
/// pooled connection that lives for hours would hold one closure for every query it ever ran. Here a query
/// registers with its connection's entry and leaves when answered; the entry goes with the connection.
final class CloseWatch: Sendable {
    static let shared = CloseWatch()

    private struct Watched {
        var nextToken = 0
        var waiting: [Int: @Sendable () -> Void] = [:]
    }

    private let connections = Mutex<[ObjectIdentifier: Watched]>([:])

    /// Calls `closed` on the connection's event loop if the connection closes before `leave` with the
    /// returned token.
    func enter(_ connection: PostgresConnection, closed: @escaping @Sendable () -> Void) -> Int {
        let id = ObjectIdentifier(connection)
        let (token, first) = connections.withLock { connections in
            let first = connections[id] == nil
            var watched = connections[id] ?? Watched()
            let token = watched.nextToken
            watched.nextToken += 1
            watched.waiting[token] = closed
            connections[id] = watched
            return (token, first)
        }
        if first {
            // One turn of the event loop later, so that a query failed by the close itself reports its own
            // error. The callback holds the connection, so that no other connection takes its identifier
            // while its entry is here.
            connection.closeFuture.whenComplete { _ in connection.eventLoop.execute { self.closed(id) } }
        }
        return token
    }

    func leave(_ connection: PostgresConnection, token: Int) {
        _ = connections.withLock { $0[ObjectIdentifier(connection)]?.waiting.removeValue(forKey: token) }
    }

    /// Queries waiting on the connection now.
    func waiting(on connection: PostgresConnection) -> Int {
        connections.withLock { $0[ObjectIdentifier(connection)]?.waiting.count ?? 0 }
    }

    private func closed(_ id: ObjectIdentifier) {
        guard let watched = connections.withLock({ $0.removeValue(forKey: id) }) else { return }
        for closed in watched.waiting.values { closed() }
    }
}
