import NIOCore
import Synchronization

/// Runs a task's nonisolated code on one NIO event loop.
///
/// A task that prefers a connection's loop (`withTaskExecutorPreference`) writes its statements from the
/// thread that owns the connection's channel, and resumes there when the answer arrives, instead of handing
/// each answer from the loop to the concurrency pool's threads and back.
final class LoopExecutor: TaskExecutor, Sendable {
    let eventLoop: any EventLoop

    private init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// The executor of `eventLoop`: one per loop, kept for the life of the process (a group has one loop
    /// per core, and its loops live as long as the process).
    static func of(_ eventLoop: any EventLoop) -> LoopExecutor {
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
