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
        guard request.carriesBearer(token) else { throw StorefrontError.unauthorized }
        return try await next(request, context)
    }
}

extension Request {
    /// Whether `Authorization: Bearer` offers `token`; never true without a configured token.
    func carriesBearer(_ token: String?) -> Bool {
        guard let token, let header = headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        return secretsMatch(header.dropFirst("Bearer ".count), token)
    }
}
