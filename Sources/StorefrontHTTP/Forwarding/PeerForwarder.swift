import HTTPTypes
import NIOCore
import StorefrontCore

/// How a region sends a request on to the region that owns the cart or order it acts on.
public protocol PeerForwarder: Sendable {
    func forward(_ request: ForwardedRequest, to home: Region) async -> ForwardOutcome
}

/// A shopper's request as it goes on to the home region: only what the home needs to serve it.
public struct ForwardedRequest: Sendable {
    public var method: HTTPRequest.Method
    /// The path and query, as the shopper sent them.
    public var target: String
    public var headers: [(name: String, value: String)]
    public var body: ByteBuffer?

    /// The shopper's headers that say who they are and what they want; the rest stays here.
    static let carried: [HTTPField.Name] = [.contentType, .cartToken, .orderToken, .idempotencyKey, .ifMatch, .accept]
}

/// What became of a forwarded request.
public enum ForwardOutcome: Sendable {
    /// The home region served it: its answer goes to the shopper as it is.
    case answered(status: Int, headers: [(name: String, value: String)], body: ByteBuffer)
    /// The home region refused it unserved: not ready for the request's flow, or not taking this region's
    /// secret.
    case unready(String)
    /// No connection could be made: nothing reached the home region.
    case unreachable(String)
    /// The request may have reached the home region, but no answer came back: it may have been served.
    case lost(String)
}
