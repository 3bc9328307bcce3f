extension Duration {
    /// For logs, metrics and thresholds, which people read in milliseconds.
    public var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
