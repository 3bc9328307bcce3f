import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StorefrontCore
import StorefrontTracing

/// Turns every error thrown below it into an `application/problem+json` response, and logs the ones that
/// are the server's fault with their cause, which the response never shows.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Problem.from(error, changing: request.method != .get && request.method != .head)
            // A request shed by admission control is no fault: `storefront_shed_requests_total` counts it, and
            // a line each would add to the load that shed it.
            if problem.status >= 500, problem.headers[HTTPField.Name.shed.rawName] == nil {
                context.logger.error("request failed", metadata: ["error": .string(logDescription(of: error))])
            }
            return Self.response(problem)
        }
    }

    static func response(_ problem: Problem) -> Response {
        var problem = problem
        if problem.traceId == nil { problem.traceId = Spans.current?.traceID.hex }
        var response = Response.bytes(problem.encoded(), status: .init(code: problem.status), contentType: "application/problem+json")
        for (name, value) in problem.headers {
            if let field = HTTPField.Name(name) { response.headers[field] = value }
        }
        return response
    }
}
