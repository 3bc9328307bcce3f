import DequeModule
import Synchronization

/// Bounded concurrency with a bounded, first-come queue: a class of work runs at most `limit` requests at
/// once, lets at most `queueLimit` more wait, each for at most `maxWait`, and refuses the rest at once.
///
/// Under a rush this turns a queue that would end in timeouts (a request holding a socket, then a pooled
/// connection, for seconds) into a fast answer the client can retry.
public final class AdmissionGate: Sendable {
    public let limit: Int
    public let queueLimit: Int
    public let maxWait: Duration

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var inFlight = 0
        var waiters: Deque<Waiter> = []
        /// Decided to wait, not yet queued with their continuation: a time-out or a cancellation can come
        /// first, and must not be lost.
        var arriving: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init(limit: Int, queueLimit: Int, maxWait: Duration) {
        precondition(limit > 0 && queueLimit >= 0)
        self.limit = limit
        self.queueLimit = queueLimit
        self.maxWait = maxWait
    }

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
            guard state.waiters.count + state.arriving.count < queueLimit else { return nil }
            state.nextID += 1
            state.arriving.insert(state.nextID)
            return state.nextID
        }
        guard let id = ticket else { return (false, false) }
        if id == 0 { return (true, false) }
        let timer = Task { [maxWait] in
            try? await Task.sleep(for: maxWait)
            self.give(up: id)
        }
        defer { timer.cancel() }
        let admitted = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let answer: Bool? = state.withLock { state in
                    // Given up before it could queue.
                    guard state.arriving.remove(id) != nil else { return false }
                    // A slot freed while it arrived, with nobody ahead of it.
                    if state.inFlight < limit, state.waiters.isEmpty {
                        state.inFlight += 1
                        return true
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
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

    /// A waiter that is still queued stops waiting, refused; one already admitted is left alone.
    private func give(up id: UInt64) {
        let waiter: Waiter? = state.withLock { state in
            if state.arriving.remove(id) != nil { return nil }
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(returning: false)
    }
}
