import NIOCore
import Synchronization

/// Runs a task's nonisolated code on one NIO event loop.
///
/// A task that prefers a channel's loop (`withTaskExecutorPreference`) does its work on the thread that owns
/// the channel's socket, and resumes there when the channel answers, instead of handing every answer from
/// the loop to the concurrency pool's threads and back: a request on its connection's loop, a statement on
/// its database connection's.
public final class LoopExecutor: TaskExecutor, Sendable {
    public let eventLoop: any EventLoop

    private init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// The executor of `eventLoop`: one per loop, kept for the life of the process (a group has one loop
    /// per core, and its loops live as long as the process).
    public static func of(_ eventLoop: any EventLoop) -> LoopExecutor {
        let id = ObjectIdentifier(eventLoop)
        return executors.withLock { executors in
            if let executor = executors[id] { return executor }
            let executor = LoopExecutor(eventLoop)
            executors[id] = executor
            return executor
        }
    }

    private static let executors = Mutex<[ObjectIdentifier: LoopExecutor]>([:])
}
