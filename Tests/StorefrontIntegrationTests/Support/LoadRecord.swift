import StorefrontTestSupport
import Synchronization

/// What concurrent shoppers got back while a region drained or shut down, collected from many tasks, and
/// the switches the test flips while they run.
final class LoadRecord: Sendable {
    struct Outcomes: Sendable {
        var statuses: [Int] = []
        var failures: [String] = []
        /// Responses to journeys that began while the region was draining.
        var servedWhileDraining = 0
        /// Journeys answered after the listener closed: requests that were in flight when it did.
        var servedAfterClose = 0
    }

    private let stopFlag = Atomic<Bool>(false)
    private let drainFlag = Atomic<Bool>(false)
    private let closedFlag = Atomic<Bool>(false)
    private let collected = Mutex(Outcomes())

    /// Also true in a cancelled task: when the test fails before it flips the switch, its task group cancels
    /// the shoppers, and a shopper looping until the switch would fail each journey at once, forever, and the
    /// group would wait for it forever (a CI run hung so, spinning a core, after one such failure).
    var stopped: Bool { stopFlag.load(ordering: .relaxed) || Task.isCancelled }
    var draining: Bool { drainFlag.load(ordering: .relaxed) }
    var outcomes: Outcomes { collected.withLock { $0 } }

    func stop() { stopFlag.store(true, ordering: .relaxed) }
    func startDrain() { drainFlag.store(true, ordering: .relaxed) }
    func endDrain() { drainFlag.store(false, ordering: .relaxed) }
    func closeListener() { closedFlag.store(true, ordering: .relaxed) }

    func add(_ statuses: [Int], whileDraining: Bool) {
        let afterClose = closedFlag.load(ordering: .relaxed)
        collected.withLock {
            $0.statuses += statuses
            if whileDraining { $0.servedWhileDraining += statuses.count }
            if afterClose { $0.servedAfterClose += 1 }
        }
    }

    func fail(_ failure: String) { collected.withLock { $0.failures.append(failure) } }
}
