import Dispatch
import ServiceLifecycle
import StorefrontCore
import Synchronization

/// Bounds a stop from outside the stopping tasks. Once armed, if the stop has not ended after `soft`,
/// `overran` is called with the lifecycle's report (the service group escalates to cancellation at the same
/// moment); if it has still not ended after `hard`, `abandoned` is called and must end the process.
///
/// The timers run on Dispatch, not in Swift tasks: they must fire even when every task is stuck.
public final class StopDeadline: Sendable {
    private let lifecycle: Lifecycle
    private let soft: Duration
    private let hard: Duration
    private let overran: @Sendable (String) -> Void
    private let abandoned: @Sendable (String) -> Never
    private let state = Mutex<State>(.idle)
    private let overrun = Mutex<String?>(nil)

    public init(
        lifecycle: Lifecycle,
        soft: Duration,
        hard: Duration,
        overran: @escaping @Sendable (String) -> Void,
        abandoned: @escaping @Sendable (String) -> Never
    ) {
        self.lifecycle = lifecycle
        self.soft = soft
        self.hard = hard
        self.overran = overran
        self.abandoned = abandoned
    }

    /// The lifecycle's report at the moment the soft bound passed, if it passed before the stop ended.
    public var overrunReport: String? { overrun.withLock { $0 } }

    private enum State {
        case idle, armed, ended
    }

    /// Starts both timers; arming twice keeps the first.
    public func arm() {
        let armed = state.withLock { state in
            guard case .idle = state else { return false }
            state = .armed
            return true
        }
        guard armed else { return }
        lifecycle.record("stop", "deadline armed: \(soft) to stop, \(hard) before the process is ended")
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(soft.nanoseconds))) { [self] in
            guard stillStopping else { return }
            let report = lifecycle.report
            overrun.withLock { $0 = report }
            overran(report)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(hard.nanoseconds))) { [self] in
            guard stillStopping else { return }
            abandoned(lifecycle.report)
        }
    }

    /// The stop ended: neither timer does anything any more.
    public func disarm() {
        state.withLock { $0 = .ended }
    }

    private var stillStopping: Bool { state.withLock { if case .armed = $0 { true } else { false } } }

    /// A service that arms the deadline when its group is asked to stop. Put it last in the group, so that it
    /// is the first told.
    public var armOnShutdown: some Service { ArmOnShutdown(deadline: self) }

    private struct ArmOnShutdown: Service {
        let deadline: StopDeadline

        func run() async throws {
            try? await gracefulShutdown()
            deadline.arm()
        }
    }
}
