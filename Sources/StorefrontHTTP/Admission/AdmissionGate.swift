import DequeModule
import Synchronization

/// Bounded concurrency with a bounded, first-come queue: a class of work runs at most `limit` requests at
/// once, lets at most `queueLimit` more wait, each for at most `maxWait`, and refuses the rest at once.
///
/// Under a rush this turns a queue that would end in timeouts (a request holding a socket, then a pooled
/// connection, for seconds) into a fast answer the client can retry.
///
/// One timer for every waiter: `reap`, which a background service calls every `resolution`, refuses the
/// waiters past their bound. Every waiter gets the same bound, so they come due in the order they queued.
public final class AdmissionGate: Sendable {
    public let limit: Int
    public let queueLimit: Int
    public let maxWait: Duration

    private struct Waiter {
        var id: UInt64
        var due: ContinuousClock.Instant
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var inFlight = 0
        var waiters: Deque<Waiter> = []
        /// Decided to wait, not yet queued with their continuation, with when they are due: a refusal or a
        /// cancellation can come first, and must not be lost.
        var arriving: [UInt64: ContinuousClock.Instant] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init(limit: Int, queueLimit: Int, maxWait: Duration) {
        precondition(limit > 0 && queueLimit >= 0)
        self.limit = limit
        self.queueLimit = queueLimit
        self.maxWait = maxWait
    }

    /// How late past its bound a waiter may be refused: how often `reap` should run.
    public var resolution: Duration { max(min(maxWait / 10, .milliseconds(100)), .milliseconds(1)) }

    /// Requests running now.
    public var inFlight: Int { state.withLock { $0.inFlight } }

    /// Requests waiting for a slot now.
    public var waiting: Int { state.withLock { $0.waiters.count + $0.arriving.count } }

    /// Whether the request may run; when it may, `leave()` must follow. A request that waited past
    /// `maxWait`, or was cancelled while waiting, may not.
    public func enter() async -> Bool {
        await enterNotingWait().admitted
    }

    /// `enter()`, and whether the request had to queue for it.
    public func enterNotingWait() async -> (admitted: Bool, queued: Bool) {
        let ticket: UInt64? = state.withLock { state in
            if state.inFlight < limit, state.waiters.isEmpty, state.arriving.isEmpty {
                state.inFlight += 1
                return 0
            }
            guard maxWait > .zero, state.waiters.count + state.arriving.count < queueLimit else { return nil }
            state.nextID += 1
            state.arriving[state.nextID] = .now + maxWait
            return state.nextID
        }
        guard let id = ticket else { return (false, false) }
        if id == 0 { return (true, false) }
        let admitted = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let answer: Bool? = state.withLock { state in
                    // Given up before it could queue.
                    guard let due = state.arriving.removeValue(forKey: id) else { return false }
                    // A slot freed while it arrived, with nobody ahead of it.
                    if state.inFlight < limit, state.waiters.isEmpty {
                        state.inFlight += 1
                        return true
                    }
                    state.waiters.append(Waiter(id: id, due: due, continuation: continuation))
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            self.give(up: id)
        }
        return (admitted, true)
    }

    /// Ends an admitted request: its slot goes to the longest waiter, if any.
    public func leave() {
        let next: Waiter? = state.withLock { state in
            if let waiter = state.waiters.popFirst() { return waiter }
            state.inFlight -= 1
            return nil
        }
        next?.continuation.resume(returning: true)
    }

    /// Refuses the waiters past their bound, oldest first.
    public func reap(now: ContinuousClock.Instant = .now) {
        let overdue: [Waiter] = state.withLock { state in
            var overdue: [Waiter] = []
            while let first = state.waiters.first, first.due <= now { overdue.append(state.waiters.removeFirst()) }
            // Not queued yet: each is refused as it arrives.
            if !state.arriving.isEmpty { state.arriving = state.arriving.filter { $0.value > now } }
            return overdue
        }
        for waiter in overdue { waiter.continuation.resume(returning: false) }
    }

    /// A cancelled waiter that is still queued stops waiting, refused; one already admitted is left alone.
    private func give(up id: UInt64) {
        let waiter: Waiter? = state.withLock { state in
            if state.arriving.removeValue(forKey: id) != nil { return nil }
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(returning: false)
    }
}
