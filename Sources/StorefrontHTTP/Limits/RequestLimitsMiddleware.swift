import Hummingbird
import StorefrontCore

/// Refuses a request whose target is too long (414) or has too many query parameters (400) before any route
/// parses it, and hands the limits to the routes that read bodies.
struct RequestLimitsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let limits: HTTPLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let target = request.uri.string
        guard target.utf8.count <= limits.maxURLBytes else {
            throw Problem(.uriTooLong, detail: "The request target is longer than \(limits.maxURLBytes) bytes.")
        }
        if let query = request.uri.query, Self.parameterCount(query) > limits.maxQueryParameters {
            throw StorefrontError.invalid("query", "has more than \(limits.maxQueryParameters) parameters")
        }
        var context = context
        context.limits = limits
        return try await next(request, context)
    }

    static func parameterCount(_ query: String) -> Int {
        query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).count
    }
}
