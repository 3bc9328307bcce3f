import StorefrontHealth
import Testing

@Suite struct ThresholdTests {
    @Test func classifiesAgainstBothBounds() {
        let threshold = Threshold(degraded: 100, unhealthy: 500)
        #expect(threshold.classify(99.9) == .healthy)
        #expect(threshold.classify(100) == .degraded)
        #expect(threshold.classify(499) == .degraded)
        #expect(threshold.classify(500) == .unhealthy)
    }

    @Test func operatorsOverrideThresholdsByName() {
        var thresholds = HealthThresholds()
        #expect(thresholds.apply("db_read_ms=50:250, error_ratio=0.1:0.5,hysteresis=3:2,min_requests=5") == nil)
        #expect(thresholds.databaseReadMilliseconds == Threshold(degraded: 50, unhealthy: 250))
        #expect(thresholds.errorRatio == Threshold(degraded: 0.1, unhealthy: 0.5))
        #expect(thresholds.hysteresis == Hysteresis(toWorse: 3, toBetter: 2))
        #expect(thresholds.minimumRequests == 5)
        #expect(thresholds.databaseWriteMilliseconds == HealthThresholds().databaseWriteMilliseconds)
        #expect(thresholds.apply("p99_ms=300") == nil)
        #expect(thresholds.p99Milliseconds == Threshold(degraded: 300, unhealthy: .infinity))
    }

    /// Saturation is not failure: the database's latencies and the pool's wait have no unhealthy bound.
    @Test func busyIsNeverUnhealthyByDefault() {
        let thresholds = HealthThresholds()
        for threshold in [thresholds.databaseReadMilliseconds, thresholds.databaseWriteMilliseconds, thresholds.poolWaitMilliseconds] {
            #expect(threshold.classify(60_000) == .degraded)
        }
    }

    @Test(arguments: [
        "db_read_ms", "db_read_ms=", "db_read_ms=500:100", "hysteresis=2", "db_read_ms=a:b", "db_read_ms=-1:5",
        "db_read_ms=1:inf", "nonsense=1:2", "hysteresis=0:1", "hysteresis=1.5:2", "min_requests=0", "min_requests=x",
    ])
    func badOverridesAreRefusedWithAMessage(_ text: String) {
        var thresholds = HealthThresholds()
        #expect(thresholds.apply(text) != nil)
    }
}
