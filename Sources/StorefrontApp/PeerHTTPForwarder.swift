import AsyncHTTPClient
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import StorefrontCore
import StorefrontHTTP

/// Forwards a request to its home region over HTTP, with the secret every region shares.
///
/// The client has a pool of its own that fails a request at once when it cannot connect, rather than
/// retrying the connection until the request's deadline: a home that cannot be reached must be adopted
/// from while the shopper waits, not after.
final class PeerHTTPForwarder: PeerForwarder, Service {
    let region: Region
    let urls: [Region: String]
    let secret: String
    let client: HTTPClient
    /// How long the home may take to answer: a checkout's statements may wait this long for locks.
    let timeout: Duration

    init(region: Region, peers: [AppConfiguration.PeerAPI], secret: String, timeout: Duration) {
        self.region = region
        self.urls = Dictionary(uniqueKeysWithValues: peers.map { ($0.region, $0.url) })
        self.secret = secret
        self.timeout = timeout
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(1))
        configuration.connectionPool.retryConnectionEstablishment = false
        // A forward waits for its own connection rather than queueing behind others: a request whose deadline
        // passed in the queue would be taken for one the home may have served.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Until graceful shutdown, then closes the client's connections.
    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }

    func forward(_ forwarded: ForwardedRequest, to home: Region) async -> ForwardOutcome {
        guard let base = urls[home] else { return .unreachable("no address for region \(home)") }
        var request = HTTPClientRequest(url: base + forwarded.target)
        request.method = HTTPMethod(rawValue: forwarded.method.rawValue)
        for (name, value) in forwarded.headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: HTTPField.Name.forwardedBy.rawName, value: region.name)
        request.headers.add(name: HTTPField.Name.peerSecret.rawName, value: secret)
        request.headers.add(name: "User-Agent", value: "storefront-forwarder")
        if let body = forwarded.body { request.body = .bytes(body) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
        } catch {
            return Self.neverSent(error) ? .unreachable("\(error)") : .lost("\(error)")
        }
        do {
            let body = try await response.body.collect(upTo: 4 << 20)
            if response.status == .serviceUnavailable, let flow = response.headers.first(name: HTTPField.Name.homeUnready.rawName) {
                return .unready("\(home) is not ready for \(flow)")
            }
            if response.status == .forbidden, response.headers.contains(name: HTTPField.Name.peerRefused.rawName) {
                return .unready("\(home) refused this region's peer secret: set the same STOREFRONT_PEER_SECRET in every region")
            }
            return .answered(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: body)
        } catch {
            return .lost("\(error)")
        }
    }

    /// Whether the error means the request never left: no connection was made.
    static func neverSent(_ error: any Error) -> Bool {
        switch error {
        case let error as HTTPClientError: error == .connectTimeout
        case is NIOConnectionError: true
        case let error as IOError: [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode)
        case let error as ChannelError:
            if case .connectTimeout = error { true } else { false }
        default: false
        }
    }
}
