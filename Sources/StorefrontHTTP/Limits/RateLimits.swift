import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StorefrontCore

/// Holds each client to the rate limits of cart creation, cart writes and checkout, and tells it where it
/// stands (`RateLimit`, `RateLimit-Policy`). A route's kind is declared where the route is registered
/// (`FlowGroup.on(_:_:limit:)`); reads have none. The client is the connection's peer, or, when the peer is a
/// trusted edge, the last address the edge put in `X-Forwarded-For`.
public struct RateLimits: Sendable {
    let limiters: [RateLimitPolicy.Kind: RateLimiter]
    let trustedProxies: Set<String>

    public init(policies: [RateLimitPolicy], trustedProxies: Set<String>) {
        limiters = Dictionary(uniqueKeysWithValues: policies.map { ($0.kind, RateLimiter($0)) })
        self.trustedProxies = trustedProxies
    }

    /// `next`'s answer, with where the client stands; or, past its limit, a `429` with `Retry-After`.
    func check(
        _ kind: RateLimitPolicy.Kind,
        _ request: Request,
        _ context: AppRequestContext,
        next: () async throws -> Response
    ) async throws -> Response {
        guard let limiter = limiters[kind] else { return try await next() }
        let verdict = limiter.take(for: client(request, context))
        let policy = limiter.policy
        let headers: [HTTPField.Name: String] = [
            .rateLimitPolicy: "\"\(policy.kind.rawValue)\";q=\(policy.requests);w=\(policy.seconds)",
            .rateLimit: "\"\(policy.kind.rawValue)\";r=\(verdict.remaining);t=\(verdict.resetAfter)",
        ]
        guard verdict.allowed else {
            var problem = Problem(
                .tooManyRequests,
                detail:
                    "This client may make \(policy.requests) \(policy.kind.rawValue.replacingOccurrences(of: "_", with: " ")) requests in \(policy.seconds) s; retry after \(verdict.retryAfter) s."
            )
            problem.headers = Dictionary(uniqueKeysWithValues: headers.map { ($0.key.rawName, $0.value) })
            problem.headers["Retry-After"] = String(verdict.retryAfter)
            throw problem
        }
        var response = try await next()
        for (name, value) in headers { response.headers[name] = value }
        return response
    }

    func client(_ request: Request, _ context: AppRequestContext) -> String {
        let peer = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard trustedProxies.contains(peer), let forwarded = request.headers[values: .xForwardedFor].last else { return peer }
        // The edge appends the address it saw; anything before it the client could have written itself.
        let hops = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return hops.last { !trustedProxies.contains($0) } ?? peer
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let rateLimit = Self("RateLimit")!
    static let rateLimitPolicy = Self("RateLimit-Policy")!
}
