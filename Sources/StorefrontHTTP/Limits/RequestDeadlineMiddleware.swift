import Hummingbird

/// Bounds the whole of a request's work — every statement, lock wait, pool wait and call to a peer
/// together, each of which has its own smaller bound — and answers 503 when it is past. The work is
/// cancelled, not left running: a query in flight closes its connection (`PostgresConnection.rows`), so the
/// database abandons it too.
struct RequestDeadlineMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let deadline: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Hummingbird's `next` is neither escaping nor `Sendable`, but everything it chains is a `Sendable`
        // middleware or handler serving this request alone, and the task group ends both children before it
        // returns: running `next` in a child task is what lets the deadline cancel it.
        try await withoutActuallyEscaping(next) { next in
            nonisolated(unsafe) let next = next
            return try await withThrowingTaskGroup(of: Response.self) { group in
                group.addTask { try await next(request, context) }
                group.addTask {
                    try await Task.sleep(for: deadline)
                    throw RequestDeadlineExceeded()
                }
                defer { group.cancelAll() }
                // Two children, so the first result is always there.
                return try await group.next()!
            }
        }
    }
}

/// A request ran past `STOREFRONT_REQUEST_TIMEOUT_MS` and was cancelled.
public struct RequestDeadlineExceeded: Error, Sendable {}
