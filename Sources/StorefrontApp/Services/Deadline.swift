import StorefrontCore
import Synchronization

/// Runs `body` and gives up on it after `deadline`. The body runs in a task of its own that the caller does
/// not wait for past the deadline, so a query stuck on a dead connection cannot delay the next probe round;
/// `tasks` keeps it, so that shutdown can let it finish before the pool it uses goes away.
///
/// The late task is left to finish, never cancelled: the server's statement timeout bounds it. While late
/// probes were cancelled, the full test suite hung now and then with every thread idle, a request waiting
/// for a connection that never came; leaving them to finish ended that.
func withDeadline<Value: Sendable>(
    _ deadline: Duration, tracking tasks: OutstandingTasks, _ body: @escaping @Sendable () async throws -> Value
) async -> Result<Value, any Error> {
    // A database that never answers would otherwise gather late probes without end.
    let waiting = tasks.count
    guard waiting < OutstandingTasks.limit else { return .failure(ProbesBackedUp(count: waiting)) }
    return await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, any Error>, Never>) in
        let resumed = Mutex(false)
        let finish: @Sendable (Result<Value, any Error>) -> Void = { result in
            if resumed.withLock({ done in defer { done = true }; return !done }) { continuation.resume(returning: result) }
        }
        tasks.run {
            do {
                finish(.success(try await body()))
            } catch {
                finish(.failure(error))
            }
        }
        Task {
            try? await Task.sleep(for: deadline)
            finish(.failure(DeadlineExceeded(deadline: deadline)))
        }
    }
}

struct ProbesBackedUp: Error, CustomStringConvertible {
    let count: Int
    var description: String { "\(count) earlier probes are still waiting for an answer" }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    let deadline: Duration
    var description: String { "no answer within \(Int(deadline.milliseconds)) ms" }
}

/// Tasks started and not awaited, kept until they end so that their owner can wait for them when it stops.
final class OutstandingTasks: Sendable {
    private struct State {
        var nextID = 0
        var running: [Int: Task<Void, Never>] = [:]
        /// Tasks that ended before they could be stored.
        var endedEarly: Set<Int> = []
    }

    private let state = Mutex(State())
    static let limit = 32

    var count: Int { state.withLock { $0.running.count } }

    @discardableResult
    func run(_ body: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        let task = Task {
            await body()
            state.withLock { state in
                if state.running.removeValue(forKey: id) == nil { state.endedEarly.insert(id) }
            }
        }
        state.withLock { state in
            if state.endedEarly.remove(id) == nil { state.running[id] = task }
        }
        return task
    }

    /// Waits, for at most `limit`, until every task still running has ended.
    func waitForAll(upTo limit: Duration) async {
        // The wait runs in a task of its own: the caller is usually being cancelled, and a cancelled
        // caller's sleeps would return at once.
        await Task {
            let deadline = ContinuousClock.now + limit
            while !state.withLock({ $0.running.isEmpty }), ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }.value
    }
}
