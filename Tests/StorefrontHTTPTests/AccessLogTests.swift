import Testing

@testable import StorefrontHTTP

/// The access log keeps every line worth reading and a sample of the rest.
@Suite struct AccessLogTests {
    @Test func failedAndSlowRequestsAreAlwaysLoggedSuccessesOneInN() {
        let sampling = AccessLogSampling(oneIn: 10, slow: .milliseconds(500))
        for status in [400, 404, 409, 500, 503] {
            #expect(sampling.shouldLog(status: status, elapsed: .milliseconds(1)) == false, "\(status)")
        }
        #expect(sampling.shouldLog(status: 200, elapsed: .milliseconds(600)) == false)
        let sampled = (0..<1000).compactMap { _ in sampling.shouldLog(status: 200, elapsed: .milliseconds(1)) }
        #expect(sampled.count == 100)
        #expect(sampled.allSatisfy { $0 }, "a sampled line says it stands for others")
    }

    @Test func oneLogsEverySuccessAndZeroNone() {
        let all = AccessLogSampling(oneIn: 1)
        #expect((0..<50).allSatisfy { _ in all.shouldLog(status: 200, elapsed: .zero) == false })
        let none = AccessLogSampling(oneIn: 0)
        #expect((0..<50).allSatisfy { _ in none.shouldLog(status: 201, elapsed: .zero) == nil })
        #expect(none.shouldLog(status: 500, elapsed: .zero) == false)
    }
}
