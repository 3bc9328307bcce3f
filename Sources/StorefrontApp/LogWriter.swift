import Foundation
import NIOPosix
import ServiceLifecycle
import StorefrontCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Log lines reach standard output in batches: one `write` per line would be a system call per request on
/// the hot path.
///
/// While its service (`flushing`) runs, in the region's service group, lines wait at most `interval`, and a
/// warning or a full batch wakes it at once; the `write(2)` is on NIO's thread pool, for blocking work, so a
/// slow reader of standard output never blocks a request's task. Past `pendingLimit` lines are dropped and
/// counted rather than held without bound; the count is the next line written. Without the service (the
/// commands that do not serve), each line is written as it comes; at the process's exit what waits is
/// written.
public final class LogWriter: Sendable {
    public static let standardOutput: LogWriter = {
        atexit { LogWriter.standardOutput.flush() }
        return LogWriter(descriptor: STDOUT_FILENO)
    }()

    private let descriptor: Int32
    private struct Pending {
        var bytes: [UInt8] = []
        var dropped = 0
        /// Whether the service runs (`storefront serve` runs one; nothing else writes through it).
        var flushing = false
    }
    private let pending = Mutex(Pending())
    /// Held while writing, so batches taken one after another are written in that order.
    private let writing = Mutex<Void>(())
    private let wake = Wake()
    static let interval = Duration.milliseconds(100)
    static let flushAt = 64 * 1024
    static let pendingLimit = 8 * 1024 * 1024

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Whether its service runs.
    var isFlushing: Bool { pending.withLock { $0.flushing } }

    public func write(_ line: String, urgent: Bool) {
        let (flushed, full) = pending.withLock { pending -> (Bool, Bool) in
            guard pending.bytes.count + line.utf8.count <= Self.pendingLimit else {
                pending.dropped += 1
                return (pending.flushing, false)
            }
            pending.bytes.append(contentsOf: line.utf8)
            return (pending.flushing, pending.bytes.count >= Self.flushAt)
        }
        if !flushed {
            flush()
        } else if urgent || full {
            wake.signal()
        }
    }

    /// Writes what waits, on the caller's thread.
    func flush() {
        writing.withLock { _ in
            let (batch, dropped) = pending.withLock { pending in
                defer {
                    pending.bytes.removeAll(keepingCapacity: pending.bytes.count <= Self.flushAt)
                    pending.dropped = 0
                }
                return (pending.bytes, pending.dropped)
            }
            if dropped > 0 {
                write(
                    Array(
                        "{\"level\":\"warning\",\"msg\":\"log lines dropped: standard output was not read fast enough\",\"count\":\(dropped)}\n".utf8
                    )
                )
            }
            write(batch)
        }
    }

    private func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }  // standard output is gone: nothing else to do with the lines
                offset += written
            }
        }
    }

    /// Writes batches until the group stops, then what is left. First in the group, so that it stops last
    /// and writes every other service's last lines.
    public var flushing: some Service { Flushing(writer: self) }

    private struct Flushing: Service {
        let writer: LogWriter

        func run() async {
            writer.pending.withLock { $0.flushing = true }
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await writer.wake.wait(until: .now + LogWriter.interval)
                    try? await NIOThreadPool.singleton.runIfActive { writer.flush() }
                }
            }
            writer.pending.withLock { $0.flushing = false }
            writer.flush()
        }
    }
}
