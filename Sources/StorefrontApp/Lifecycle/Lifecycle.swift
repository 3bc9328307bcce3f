import Foundation
import Logging
import ServiceLifecycle
import StorefrontCore
import Synchronization

/// Which of a region's services are running and what each is waiting for, with a timeline of every start,
/// stop request and finish: what an operator, or a test, must be able to name when a stop does not end.
public final class Lifecycle: Sendable {
    private struct Entry {
        var name: String
        var activity: Activity
        var finished = false
    }

    private let epoch = ContinuousClock.now
    private let entries = Mutex<[Entry]>([])
    private let steps = Mutex<[String]>([])
    private let logger: Logger
    /// A timeline longer than this keeps its start and its most recent steps.
    static let stepLimit = 400

    public init(logger: Logger) {
        self.logger = logger
    }

    /// `service` under `name`, its start, stop request and finish recorded; `activity` says what it waits for.
    public func track(_ service: some Service, as name: String, activity: Activity = Activity()) -> ServiceGroupConfiguration.ServiceConfiguration {
        entries.withLock { $0.append(Entry(name: name, activity: activity)) }
        return .init(service: TrackedService(service: service, name: name, lifecycle: self), serviceName: name)
    }

    /// Records one step of the lifecycle, with the time since this lifecycle began.
    public func record(_ name: String, _ step: String) {
        let seconds = (ContinuousClock.now - epoch).milliseconds / 1000
        let line = "+\(seconds.formatted(.number.precision(.fractionLength(3)))) s \(name): \(step)"
        steps.withLock { steps in
            if steps.count >= Self.stepLimit { steps.remove(at: Self.stepLimit / 4) }
            steps.append(line)
        }
        logger.debug("lifecycle", metadata: ["service": .string(name), "step": .string(step)])
    }

    fileprivate func finished(_ name: String) {
        entries.withLock { entries in
            if let index = entries.firstIndex(where: { $0.name == name }) { entries[index].finished = true }
        }
    }

    /// Every service that has not finished, each with what it is waiting for.
    public var unfinished: [String] {
        entries.withLock { $0.filter { !$0.finished } }.map { "\($0.name) (\($0.activity.description))" }
    }

    public var timeline: [String] { steps.withLock { $0 } }

    /// What is still running and how it got there, for a log line or a test failure.
    public var report: String {
        let running = unfinished
        return (running.isEmpty ? "every service finished" : "still running: " + running.joined(separator: "; "))
            + "\ntimeline:\n" + timeline.joined(separator: "\n")
    }
}

/// What a service is doing right now, in words, and since when.
public final class Activity: Sendable {
    private let state: Mutex<(what: @Sendable () -> String, since: ContinuousClock.Instant)>

    public init(_ what: String = "starting") {
        state = Mutex(({ what }, .now))
    }

    /// A description computed when asked: for a state that changes too often to be written down each time.
    public init(describedBy what: @escaping @Sendable () -> String) {
        state = Mutex((what, .now))
    }

    public func set(_ what: String) {
        state.withLock { $0 = ({ what }, .now) }
    }

    public func set(describedBy what: @escaping @Sendable () -> String) {
        state.withLock { $0 = (what, .now) }
    }

    public var description: String {
        let (what, since) = state.withLock { $0 }
        return "\(what()) for \(((ContinuousClock.now - since).milliseconds / 1000).formatted(.number.precision(.fractionLength(1)))) s"
    }
}

private struct TrackedService<Wrapped: Service>: Service {
    let service: Wrapped
    let name: String
    let lifecycle: Lifecycle

    func run() async throws {
        lifecycle.record(name, "started")
        defer { lifecycle.finished(name) }
        do {
            try await withGracefulShutdownHandler {
                try await service.run()
            } onGracefulShutdown: {
                lifecycle.record(name, "asked to stop")
            }
            lifecycle.record(name, Task.isCancelled ? "finished (cancelled)" : "finished")
        } catch {
            lifecycle.record(name, "finished with \(logDescription(of: error))")
            throw error
        }
    }
}
