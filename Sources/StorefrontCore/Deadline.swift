/// `body`'s result, or `DeadlineExceeded` once `deadline` has passed. A task group races the body against a
/// sleep and cancels whichever loses, so the body must end when cancelled — every query does, see
/// `PostgresConnection.rows` — and the caller waits for nothing after the deadline but that.
public func withDeadline<Value: Sendable>(
    _ deadline: Duration,
    _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: deadline)
            return nil
        }
        defer { group.cancelAll() }
        guard let value = try await group.next()! else { throw DeadlineExceeded(deadline: deadline) }
        return value
    }
}

public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let deadline: Duration
    public init(deadline: Duration) { self.deadline = deadline }
    public var description: String { "no answer within \(Int(deadline.milliseconds)) ms" }
}
