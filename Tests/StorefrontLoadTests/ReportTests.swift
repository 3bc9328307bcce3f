import Foundation
import Testing

@testable import StorefrontLoad

@Suite struct ReportTests {
    /// 1,000 requests: 980 fast (1–98 ms), 10 slow (1 s), 5 failed with 503, 5 rejected out of stock.
    static func recorder() -> LoadRecorder {
        let recorder = LoadRecorder()
        for index in 0..<980 {
            recorder.record("browse.list", latency: .milliseconds(1 + index / 10), outcome: .ok, region: "us-east")
        }
        for _ in 0..<10 { recorder.record("checkout", latency: .seconds(1), outcome: .ok, region: "eu-west") }
        for _ in 0..<5 { recorder.record("checkout", latency: .milliseconds(5), outcome: .error("503 unavailable"), region: "eu-west") }
        for _ in 0..<5 { recorder.record("checkout", latency: .milliseconds(5), outcome: .rejected("409 out-of-stock"), region: "eu-west") }
        recorder.recordSetupRequest()
        return recorder
    }

    static func report() -> LoadReport {
        LoadReport(
            recorder: recorder(),
            model: "open",
            load: "hold:100/10s",
            mix: .default,
            duration: .seconds(10),
            corrected: true,
            cpuCores: 0.25
        )
    }

    @Test func percentilesCountsAndRatesComeFromEveryRequest() {
        let report = Self.report()
        #expect(report.requests == 1000)
        #expect(report.errors == 5)
        #expect(report.rejected == 5)
        #expect(report.setupRequests == 1)
        #expect(report.rps == 100)
        let list = report.steps["browse.list"]!
        #expect(list.count == 980)
        #expect(abs(list.p50Ms - 49) <= 1)
        #expect(abs(list.p99Ms - 98) <= 1)
        // 990 of the 1,000 took under 100 ms; the slowest ten, a second.
        #expect(report.overall.p99Ms < 100)
        #expect(report.overall.p999Ms >= 999 && report.overall.p999Ms <= 1001)
        #expect(report.overall.maxMs >= 999 && report.overall.maxMs <= 1001)
        #expect(report.steps["checkout"]!.errorsByKind == ["503 unavailable": 5])
        #expect(report.steps["checkout"]!.rejectedByKind == ["409 out-of-stock": 5])
        #expect(report.regions == ["us-east": 980, "eu-west": 20])
    }

    @Test func theJSONReportHasTheDocumentedFields() throws {
        let json = try #require(try JSONSerialization.jsonObject(with: Self.report().json()) as? [String: Any])
        for key in [
            "requests", "errors", "rejected", "setup_requests", "journeys", "duration_s", "rps", "steps", "regions", "overall",
            "model", "load", "mix", "coordinated_omission_corrected", "generator_cpu_cores", "cores_available",
        ] {
            #expect(json[key] != nil, "\(key)")
        }
        let step = try #require((json["steps"] as? [String: Any])?["checkout"] as? [String: Any])
        for key in ["count", "errors", "rejected", "errors_by_kind", "rps", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "regions"] {
            #expect(step[key] != nil, "\(key)")
        }
        #expect(json["requests"] as? Int == 1000)
        #expect(json["duration_s"] as? Double == 10)
    }

    @Test func theTableNamesEveryStepAndTheTotals() {
        let table = Self.report().table
        #expect(table.contains("browse.list"))
        #expect(table.contains("5 503 unavailable"))
        #expect(table.contains("5 409 out-of-stock"))
        #expect(table.contains("us-east 100%"))
        #expect(table.contains("1000 requests"))
    }
}

@Suite struct SLOTests {
    @Test func aMetObjectivePasses() throws {
        let result = try SLO("p99<1100ms,errors<1%,browse:p99<100ms,rps>=100").evaluate(ReportTests.report())
        #expect(result.passed, "\(result.violations)")
    }

    @Test func eachBrokenConditionIsNamedWithWhatWasObserved() throws {
        let result = try SLO("p99<50ms,errors<0.1%,checkout:max<=500ms,rps>200").evaluate(ReportTests.report())
        #expect(!result.passed)
        #expect(result.violations.count == 4)
        #expect(result.violations[0].hasPrefix("p99<50ms: observed 9"))
        #expect(result.violations[1] == "errors<0.1%: observed 0.500%")
    }

    @Test func aConditionOnAStepNoRequestTookFails() throws {
        let result = try SLO("order:p99<10ms").evaluate(ReportTests.report())
        #expect(result.violations == ["order:p99<10ms: no request took step order"])
    }

    @Test(arguments: ["", "p99", "p99=50ms", "p95<50ms", "p99<fast", "errors<150%", "errors<2", "speed<1ms", "rps>-1", "p99<-5ms"])
    func aBadObjectiveIsRefused(_ text: String) {
        #expect(throws: LoadError.self) { try SLO(text) }
    }

    @Test func unitsAndRatiosAreRead() throws {
        let slo = try SLO("p99.9<250us,max<2s,errors<=0.001")
        #expect(slo.conditions.map(\.value) == [0.25, 2000, 0.001])
        #expect(slo.conditions[2].inclusive)
    }
}
