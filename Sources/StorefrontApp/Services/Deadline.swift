import StorefrontCore
import Synchronization

/// Runs `body` and gives up on it after `deadline`. The body runs in a task of its own that the caller does
/// not wait for past the deadline: a query stuck on a dead connection can delay neither the next probe
/// round nor shutdown.
func withDeadline<Value: Sendable>(
    _ deadline: Duration, _ body: @escaping @Sendable () async throws -> Value
) async -> Result<Value, any Error> {
    await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, any Error>, Never>) in
        let resumed = Mutex(false)
        let finish: @Sendable (Result<Value, any Error>) -> Void = { result in
            if resumed.withLock({ done in defer { done = true }; return !done }) { continuation.resume(returning: result) }
        }
        let work = Task {
            do {
                finish(.success(try await body()))
            } catch {
                finish(.failure(error))
            }
        }
        Task {
            try? await Task.sleep(for: deadline)
            finish(.failure(DeadlineExceeded(deadline: deadline)))
            work.cancel()
        }
    }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    let deadline: Duration
    var description: String { "no answer within \(Int(deadline.milliseconds)) ms" }
}
