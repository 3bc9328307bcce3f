import StorefrontHTTP
import Synchronization
import Testing

/// One class of work's gate: bounded concurrency, a bounded queue, a bounded wait.
@Suite struct AdmissionGateTests {
    /// Until the gate has queued `count` waiters (a task's call reaches the gate when the task runs).
    func untilWaiting(_ count: Int, at gate: AdmissionGate) async {
        while gate.waiting < count { await Task.yield() }
    }

    @Test func aGateAdmitsUpToItsLimitQueuesThenRefuses() async {
        let gate = AdmissionGate(limit: 1, queueLimit: 1, maxWait: .seconds(60))
        #expect(await gate.enter())
        let queued = Task { await gate.enter() }
        await untilWaiting(1, at: gate)
        #expect(await gate.enter() == false, "the queue is full")
        gate.leave()
        #expect(await queued.value, "the freed slot goes to the waiter")
        gate.leave()
        #expect(await gate.enter(), "both slots left: the gate is empty again")
        gate.leave()
    }

    /// The bound is kept by `reap`, the one timer for every waiter: a waiter not yet due stays queued, one
    /// past its bound is refused and gives up its place.
    @Test func aRequestThatWaitsPastTheBoundIsRefusedAtTheReap() async {
        let gate = AdmissionGate(limit: 1, queueLimit: 4, maxWait: .seconds(1))
        #expect(await gate.enter())
        let queued = Task { await gate.enter() }
        await untilWaiting(1, at: gate)
        gate.reap(now: .now)
        #expect(gate.waiting == 1, "not yet due")
        gate.reap(now: .now + .seconds(2))
        #expect(await queued.value == false)
        gate.leave()
        #expect(await gate.enter(), "the refused waiter took nothing with it")
        gate.leave()
    }

    @Test func waitersComeDueInTheOrderTheyQueued() async {
        let gate = AdmissionGate(limit: 1, queueLimit: 4, maxWait: .seconds(1))
        #expect(await gate.enter())
        let first = Task { await gate.enter() }
        await untilWaiting(1, at: gate)
        let start = ContinuousClock.now
        let second = Task { await gate.enter() }
        await untilWaiting(2, at: gate)
        // Due for the first (it took its place before `start`), not for the second (after).
        gate.reap(now: start + .seconds(1) - .nanoseconds(1))
        #expect(await first.value == false)
        gate.leave()
        #expect(await second.value, "the slot freed goes to the waiter still queued")
        gate.leave()
    }

    @Test func noWaitAtAllRefusesAtOnceWhenFull() async {
        let gate = AdmissionGate(limit: 1, queueLimit: 4, maxWait: .zero)
        #expect(await gate.enter())
        #expect(await gate.enter() == false)
        #expect(gate.waiting == 0)
        gate.leave()
    }

    @Test func aCancelledWaiterGivesUpItsPlace() async {
        let gate = AdmissionGate(limit: 1, queueLimit: 1, maxWait: .seconds(60))
        #expect(await gate.enter())
        let queued = Task { await gate.enter() }
        await untilWaiting(1, at: gate)
        queued.cancel()
        #expect(await queued.value == false)
        let next = Task { await gate.enter() }
        await untilWaiting(1, at: gate)
        gate.leave()
        #expect(await next.value, "the cancelled waiter's place in a full queue was free for another")
        gate.leave()
    }

    /// Counted by the test, around the admitted work, not read from the gate.
    @Test func manyRequestsAtOnceNeverExceedTheLimit() async {
        let gate = AdmissionGate(limit: 3, queueLimit: 1000, maxWait: .seconds(60))
        let counts = Counts()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<500 {
                group.addTask {
                    guard await gate.enter() else { return }
                    counts.began()
                    await Task.yield()
                    counts.ended()
                    gate.leave()
                }
            }
        }
        #expect(counts.peak <= 3)
        #expect(counts.admitted == 500, "nobody waited past the bound, so everybody ran")
    }
}

/// How many ran at once at most, and how many ran, from many tasks.
final class Counts: Sendable {
    private let state = Mutex((running: 0, peak: 0, admitted: 0))
    var peak: Int { state.withLock { $0.peak } }
    var admitted: Int { state.withLock { $0.admitted } }

    func began() {
        state.withLock { state in
            state.running += 1
            state.admitted += 1
            state.peak = max(state.peak, state.running)
        }
    }

    func ended() { state.withLock { $0.running -= 1 } }
}
