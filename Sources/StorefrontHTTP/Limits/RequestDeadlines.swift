import DequeModule
import Hummingbird
import Synchronization

/// The deadlines of the requests in flight, in one place, so that one timer ends every request past its
/// deadline (`reap`, which a background service calls every `resolution`) instead of each request arming a
/// timer of its own. Every request gets the same allowance, so requests come due in the order they start.
public final class RequestDeadlines: Sendable {
    public let allowance: Duration
    /// How late past its deadline a request may be ended: how often `reap` should run.
    public var resolution: Duration { min(allowance / 10, .milliseconds(100)) }

    private struct State {
        var nextTicket: UInt64 = 0
        /// The requests still running, by ticket: each one's answer goes here.
        var running: [UInt64: CheckedContinuation<Response, any Error>] = [:]
        /// Every ticket not yet reaped or passed over, oldest (first due) first.
        var due: Deque<(ticket: UInt64, at: ContinuousClock.Instant)> = []
    }

    private let state = Mutex(State())

    public init(allowance: Duration) {
        self.allowance = allowance
    }

    /// Answers what `work` answers, run in a task of its own; or, if the work is still running when `reap`
    /// finds it past its deadline, `RequestDeadlineExceeded` at once, after which the work is cancelled and
    /// awaited.
    func answer(_ work: @escaping @Sendable () async throws -> Response) async throws -> Response {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let response = try await withCheckedThrowingContinuation { continuation in
                let ticket = enter(continuation)
                group.addTask {
                    let result: Result<Response, any Error>
                    do { result = .success(try await work()) } catch { result = .failure(error) }
                    self.leave(ticket)?.resume(with: result)
                }
            }
            // Past its deadline the work is still running: cancelled here, and awaited as the group ends.
            group.cancelAll()
            return response
        }
    }

    /// Ends the requests past their deadlines: each answers `RequestDeadlineExceeded`.
    public func reap(now: ContinuousClock.Instant = .now) {
        let overdue: [CheckedContinuation<Response, any Error>] = state.withLock { state in
            var overdue: [CheckedContinuation<Response, any Error>] = []
            // Tickets that already left are dropped whatever their deadline, so the queue stays short.
            while let first = state.due.first, first.at <= now || state.running[first.ticket] == nil {
                state.due.removeFirst()
                if let continuation = state.running.removeValue(forKey: first.ticket) { overdue.append(continuation) }
            }
            return overdue
        }
        for continuation in overdue { continuation.resume(throwing: RequestDeadlineExceeded()) }
    }

    private func enter(_ continuation: CheckedContinuation<Response, any Error>) -> UInt64 {
        let due = ContinuousClock.now + allowance
        return state.withLock { state in
            state.nextTicket += 1
            state.running[state.nextTicket] = continuation
            state.due.append((state.nextTicket, due))
            return state.nextTicket
        }
    }

    /// The request's continuation, unless `reap` already answered it.
    private func leave(_ ticket: UInt64) -> CheckedContinuation<Response, any Error>? {
        state.withLock { $0.running.removeValue(forKey: ticket) }
    }
}
