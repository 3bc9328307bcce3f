import Foundation
import Hummingbird
import Logging
import StorefrontCore
import StorefrontTracing
import Synchronization

/// One structured log line per request worth reading: every failed or slow one, and one successful request in
/// `oneIn`. A line for every request put hundreds of thousands of identical lines in one bench run, each
/// paid for on the request's path.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let sampling: AccessLogSampling

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        sampling.log(
            method: request.method.rawValue,
            path: request.uri.path,
            route: context.endpointPath,
            status: response.status.code,
            elapsed: ContinuousClock.now - start,
            to: context.logger
        )
        return response
    }
}

/// Which requests the access log writes.
public final class AccessLogSampling: Sendable {
    /// One successful request in this many is logged; 1 logs all, 0 none.
    public let oneIn: Int
    /// A request slower than this is logged whatever its status.
    public let slow: Duration
    private let successes = Atomic<Int>(0)

    public init(oneIn: Int, slow: Duration = .milliseconds(500)) {
        precondition(oneIn >= 0)
        self.oneIn = oneIn
        self.slow = slow
    }

    /// Writes the request's line to `logger` (which carries its request id) if it is one worth reading.
    /// `traceID` is for a request whose logger does not carry it already (a memory read).
    func log(method: String, path: String, route: String?, status: Int, elapsed: Duration, traceID: TraceID? = nil, to logger: Logger) {
        guard let sampled = shouldLog(status: status, elapsed: elapsed) else { return }
        var metadata: Logger.Metadata = [
            "method": .string(method),
            "path": .string(path),
            "route": .string(route ?? "-"),
            "status": .stringConvertible(status),
            "duration_ms": .string(String(format: "%.3f", elapsed.milliseconds)),
        ]
        if sampled { metadata["sampled_one_in"] = .stringConvertible(oneIn) }
        if let traceID { metadata["trace_id"] = .string(traceID.hex) }
        logger.info("request", metadata: metadata)
    }

    /// nil: not logged; false: logged because it failed or was slow; true: logged as the sample of its kind.
    func shouldLog(status: Int, elapsed: Duration) -> Bool? {
        if status >= 400 || elapsed >= slow { return false }
        guard oneIn > 0 else { return nil }
        if oneIn == 1 { return false }
        let count = successes.wrappingAdd(1, ordering: .relaxed).newValue
        return count % oneIn == 0 ? true : nil
    }
}
