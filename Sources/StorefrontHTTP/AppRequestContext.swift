import Hummingbird
import Logging

/// Per-request facts every route and middleware can rely on.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request id echoed in `X-Request-ID` and carried by every log line of the request.
    public var requestID: String = ""

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Shopper requests are small JSON documents; anything bigger is refused before it is read.
    public var maxUploadSize: Int { 64 * 1024 }
}
