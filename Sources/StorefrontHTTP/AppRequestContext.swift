import Hummingbird
import Logging
import NIOCore
import StorefrontHealth

/// Per-request facts every route and middleware can rely on.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request id echoed in `X-Request-ID` and carried by every log line of the request.
    public var requestID: String = ""

    /// The connection the request came on: its peer is the client, or the edge in front of it.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The shopper flow of the route, set where the route is registered (`FlowGroup`) before its handler runs;
    /// nil for probes, metrics and admin calls. Middleware runs outside the handler and reads `FlowRoutes`.
    public var flow: Flow?

    /// Set by `RequestLimitsMiddleware` before any route runs.
    public var limits = HTTPLimits()

    /// Shopper requests are small JSON documents; anything bigger is refused before it is read.
    public var maxUploadSize: Int { limits.maxBodyBytes }

    /// Bodies are read in the API's JSON style and within the limits above (`request.decode(as:context:)`).
    public var requestDecoder: JSONRequestDecoder { JSONRequestDecoder(maxDepth: limits.maxJSONDepth) }

    /// A route that returns an `Encodable` body is answered in the API's JSON style.
    public var responseEncoder: JSONResponseEncoder { JSONResponseEncoder() }
}
