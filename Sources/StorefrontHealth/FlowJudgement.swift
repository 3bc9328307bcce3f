import Foundation

extension FlowWindows.Summary {
    /// A flow's two API samples from its window: the error ratio and the p99, each against its threshold
    /// once there are enough requests to judge (for the p99, the running ones count: a flow whose requests
    /// are all stuck has finished none), and, while a database signal is troubled, put down to it (`cause`).
    ///
    /// `recoveredSecondsAgo`: the window counts only the requests since the database recovered, that long
    /// ago, and says so.
    public func samples(
        windowSeconds: Int,
        recoveredSecondsAgo: Int64?,
        thresholds: HealthThresholds,
        cause: SignalID?
    ) -> (errors: SignalSample, p99: SignalSample) {
        let window =
            recoveredSecondsAgo.map { "\(requests) requests since the database recovered \($0) s ago" }
            ?? "\(requests) requests in the last \(windowSeconds) s"
        let stillRunning = running > 0 ? " and \(running) still running" : ""
        var errors: SignalSample
        var p99: SignalSample
        if requests + running < thresholds.minimumRequests {
            p99 = SignalSample(value: self.p99, unit: "ms", status: .healthy, output: "\(window)\(stillRunning), too few to judge")
        } else {
            p99 = .measured(self.p99 ?? 0, unit: "ms", against: thresholds.p99Milliseconds, what: "p99 of \(window)\(stillRunning):")
        }
        if requests < thresholds.minimumRequests {
            errors = SignalSample(value: errorRatio, unit: "ratio", status: .healthy, output: "\(window), too few to judge")
        } else {
            errors = .measured(errorRatio, unit: "ratio", against: thresholds.errorRatio, what: "\(self.errors) of \(window) failed: ratio")
        }
        errors.consequenceOf = cause
        p99.consequenceOf = cause
        return (errors, p99)
    }
}
