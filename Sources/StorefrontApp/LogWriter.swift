import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Log lines reach standard output in batches: one `write` per line would be a system call per request on
/// the hot path. Lines wait at most `interval`; a warning or worse, a full buffer and the process's exit
/// write at once, in order.
public final class LogWriter: Sendable {
    public static let standardOutput = LogWriter(descriptor: STDOUT_FILENO)

    private let descriptor: Int32
    private let pending = Mutex<[UInt8]>([])
    /// Held while writing, so batches taken one after another are written in that order.
    private let writing = Mutex<Void>(())
    private let started = Atomic<Bool>(false)
    static let interval: TimeInterval = 0.1
    static let flushAt = 64 * 1024

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    public func write(_ line: String, urgent: Bool) {
        startFlushing()
        let full = pending.withLock { buffer in
            buffer.append(contentsOf: line.utf8)
            return buffer.count >= Self.flushAt
        }
        if urgent || full { flush() }
    }

    public func flush() {
        writing.withLock { _ in
            let batch = pending.withLock { buffer in
                defer { buffer.removeAll(keepingCapacity: true) }
                return buffer
            }
            batch.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0, errno == EINTR { continue }
                    guard written > 0 else { return }  // standard output is gone: nothing else to do with the lines
                    offset += written
                }
            }
        }
    }

    /// One thread for the life of the process writes what waits; the first line starts it, and the exit
    /// writes what is left.
    private func startFlushing() {
        guard started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        atexit { LogWriter.standardOutput.flush() }
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: Self.interval)
                flush()
            }
        }
        thread.name = "log-writer"
        thread.start()
    }
}
