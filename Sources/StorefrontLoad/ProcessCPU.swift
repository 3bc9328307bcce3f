import Foundation
import StorefrontCore
import Synchronization

/// The generator's own CPU time over wall time, in cores.
final class ProcessCPU: Sendable {
    private let start: (cpu: Double, wall: ContinuousClock.Instant)
    private let last: Mutex<(cpu: Double, wall: ContinuousClock.Instant)>

    init() {
        start = (Self.cpuSeconds(), .now)
        last = Mutex(start)
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Cores used since the start.
    func coresUsed() -> Double {
        (Self.cpuSeconds() - start.cpu) / max((ContinuousClock.now - start.wall).seconds, 1e-6)
    }

    /// Cores used since the last call.
    func recentUse() -> Double {
        let now = (Self.cpuSeconds(), ContinuousClock.now)
        let previous = last.withLock { last in
            defer { last = now }
            return last
        }
        return (now.0 - previous.cpu) / max((now.1 - previous.wall).seconds, 1e-6)
    }
}
