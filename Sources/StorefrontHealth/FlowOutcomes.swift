/// A flow's API signals (its error ratio and p99) are outcomes of its requests, and a request depends at once
/// on one thing: the region's database. While a database signal is troubled, what the flow's requests suffer
/// is that signal's consequence, and the model names the database, not the API, as the root. Once the
/// database is healthy again, the outage's failures still fill the window for seconds: the flow is judged
/// only on the requests made after it, so a recovered region is healthy when its requests are, not ten
/// seconds later.
public struct FlowOutcomes: Sendable {
    /// The troubled database signal the flow's outcomes are put down to now, if any.
    public private(set) var cause: SignalID?
    /// The last second a database signal was seen troubled; the window is judged after it.
    public private(set) var troubledUntil: Int64?

    public init() {}

    /// Takes in the latest evaluation at `epoch` (seconds since 1970).
    public mutating func observe(_ report: HealthReport?, at epoch: Int64) {
        let troubled = [SignalID.databaseRead, .databaseWrite, .poolWait]
            .compactMap { signal in report?[HealthReport.signalID(signal)].map { (signal, $0.status) } }
            .filter { $0.1 > .healthy }
        // The worst, and among equals the first: a failed read before a failed write, either before the pool.
        let worst = troubled.map(\.1).max()
        cause = troubled.first { $0.1 == worst }?.0
        if cause != nil { troubledUntil = epoch }
    }

    /// The seconds the window may count: all of them while the trouble lasts (its consequences are named as
    /// such), only those after it once it has passed.
    public var judgedAfter: Int64? { cause == nil ? troubledUntil : nil }
}
