extension Duration {
    /// For logs, metrics and thresholds, which people read in milliseconds.
    public var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }

    /// For rates: tokens a second, requests a second.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// For APIs that count time in nanoseconds: NIO's `TimeAmount`, Dispatch.
    public var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
