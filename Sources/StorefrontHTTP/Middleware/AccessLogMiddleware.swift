import Hummingbird
import Foundation
import Logging
import StorefrontCore

/// One structured log line per request, written when the response is ready.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "path": .string(request.uri.path),
                "route": .string(context.endpointPath ?? "-"),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .string(String(format: "%.3f", elapsed.milliseconds)),
            ]
        )
        return response
    }
}
