import HTTPTypes
import Hummingbird
import StorefrontCore

/// Lets a request through only with `Authorization: Bearer <admin token>`, compared in constant time
/// whatever the length offered.
/// Without a configured token every admin call is refused.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            secretsMatch(header.dropFirst("Bearer ".count), token)
        else {
            throw StorefrontError.unauthorized
        }
        return try await next(request, context)
    }
}
