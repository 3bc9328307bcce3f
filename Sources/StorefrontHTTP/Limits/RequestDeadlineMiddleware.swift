import Hummingbird

/// Bounds the whole of a request's work — every statement, lock wait, pool wait and call to a peer
/// together, each of which has its own smaller bound — and answers 503 when it is past. The work is
/// cancelled, not left running: a query in flight closes its connection (`PostgresConnection.rows`), so the
/// database abandons it too. One timer serves every request (`RequestDeadlines`).
struct RequestDeadlineMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let deadlines: RequestDeadlines

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Hummingbird's `next` is neither escaping nor `Sendable`, but everything it chains is a `Sendable`
        // middleware or handler serving this request alone, and `answer` ends the task that runs it before it
        // returns: running `next` in a task of its own is what lets the deadline cancel it alone, and not the
        // connection's task.
        try await withoutActuallyEscaping(next) { next in
            nonisolated(unsafe) let next = next
            return try await deadlines.answer { try await next(request, context) }
        }
    }
}

/// A request ran past `STOREFRONT_REQUEST_TIMEOUT_MS` and was cancelled.
public struct RequestDeadlineExceeded: Error, Sendable {}
