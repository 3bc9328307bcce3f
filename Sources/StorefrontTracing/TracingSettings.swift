/// How a region traces its requests.
public struct TracingSettings: Sendable, Equatable {
    /// Off: no span is made, no header read or written; the request path pays nothing.
    public var enabled: Bool
    /// The share of new traces recorded whole and exported (head sampling): 0.01 is one in a hundred.
    /// A trace whose caller says it is sampled is sampled here too; one that says it is not, is not.
    public var sampleRatio: Double
    /// A request slower than this is kept whatever sampling decided, as is every request that failed.
    public var slow: Duration
    /// Whose `traceparent` starts this region's spans inside the caller's trace.
    public var parentPolicy: ParentPolicy

    public enum ParentPolicy: String, Sendable, CaseIterable {
        /// The edge's (a trusted proxy) and another region's (with the peer secret); anyone else's starts a new
        /// trace, so a client cannot force its requests to be sampled or join another's trace.
        case trusted
        /// Anyone's: a closed network.
        case always
        /// No one's.
        case never
    }

    public init(enabled: Bool = true, sampleRatio: Double = 0.01, slow: Duration = .milliseconds(500), parentPolicy: ParentPolicy = .trusted) {
        precondition((0...1).contains(sampleRatio))
        self.enabled = enabled
        self.sampleRatio = sampleRatio
        self.slow = slow
        self.parentPolicy = parentPolicy
    }

    /// Whether a new trace with this id is sampled: the same answer in every region for the same id, as
    /// OpenTelemetry's TraceIdRatioBased sampler gives.
    func samples(_ traceID: TraceID) -> Bool {
        sampleRatio >= 1 || Double(traceID.low >> 11) < sampleRatio * Double(UInt64(1) << 53)
    }
}
