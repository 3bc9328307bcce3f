import StorefrontCore
import Testing

/// The prober's early wake-up: a signal ends the wait at once, before it or during it, and is used once.
@Suite struct WakeTests {
    @Test func withoutASignalTheWaitLastsUntilItsDeadline() async {
        let wake = Wake()
        let start = ContinuousClock.now
        let woken = await wake.wait(until: start + .milliseconds(100))
        #expect(!woken)
        #expect(ContinuousClock.now - start >= .milliseconds(100))
    }

    @Test func aSignalBeforeTheWaitIsKeptForItAndUsedOnce() async {
        let wake = Wake()
        wake.signal()
        wake.signal()
        #expect(await wake.wait(until: .now + .seconds(60)))
        #expect(!(await wake.wait(until: .now + .milliseconds(50))))
    }

    @Test func aSignalDuringTheWaitEndsIt() async {
        let wake = Wake()
        let start = ContinuousClock.now
        async let woken = wake.wait(until: start + .seconds(60))
        try? await Task.sleep(for: .milliseconds(50))
        wake.signal()
        #expect(await woken)
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func cancellingTheTaskEndsTheWait() async {
        let wake = Wake()
        let start = ContinuousClock.now
        let task = Task { await wake.wait(until: .now + .seconds(60)) }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        #expect(!(await task.value))
        #expect(ContinuousClock.now - start < .seconds(30))
    }
}
