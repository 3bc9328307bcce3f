/// What one client may ask of the HTTP server, so that no client, slow or hostile, can hold its sockets,
/// tasks or memory without bound. Every limit is a `STOREFRONT_*` setting (`AppConfiguration`).
public struct HTTPLimits: Sendable, Equatable {
    /// Open connections at most; one more is closed as soon as it is accepted.
    public var maxConnections = 4096
    /// From a connection's opening to its first request's complete head.
    public var headerTimeout: Duration = .seconds(10)
    /// From a request's head to the end of its body.
    public var bodyTimeout: Duration = .seconds(10)
    /// From a cart, order or admin route's start to its answer, all its waits together (503 beyond).
    public var requestTimeout: Duration = .seconds(15)
    /// From a response's end to the next request's complete head on the same connection.
    public var idleTimeout: Duration = .seconds(30)
    /// All header lines of a request together (431 beyond), and how many there may be.
    public var maxHeaderBytes = 16 * 1024
    public var maxHeaderCount = 64
    /// The request target, path and query (414 beyond).
    public var maxURLBytes = 4096
    /// Query parameters per request (400 beyond).
    public var maxQueryParameters = 32
    /// A request body (413 beyond) and how deeply its JSON may nest (400 beyond).
    public var maxBodyBytes = 64 * 1024
    public var maxJSONDepth = 16

    public init() {}
}
