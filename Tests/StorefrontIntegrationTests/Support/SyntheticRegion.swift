import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import StorefrontTestSupport
import Synchronization

/// A stand-in region for edge tests: it answers the probes as told (ready or not, per flow), answers
/// shoppers' requests with its name in `X-Region` and counts them, refuses them as a region at capacity
/// does (`503 overloaded`), or closes the connection without a word when told to, as a region that died
/// mid-request does.
final class SyntheticRegion: Sendable {
    let name: String
    private let state = Mutex(State())
    private let server: any Channel
    var port: Int { server.localAddress!.port! }

    struct State {
        var unready: Set<String> = []
        var live = true
        /// Shoppers' requests are dropped: read, then the connection closed with no answer.
        var dropping = false
        /// Shoppers' requests are refused, undone: `503` with `Retry-After`, as admission control sheds them.
        var shedding = false
        /// How long a probe waits for its answer, as on an instance too busy to answer at once.
        var probeDelay: TimeAmount = .zero
        /// "METHOD path" of each shopper's request received, answered or dropped.
        var received: [String] = []
    }

    private init(name: String, server: any Channel) {
        self.name = name
        self.server = server
    }

    static func start(_ name: String) async throws -> SyntheticRegion {
        let box = Mutex<SyntheticRegion?>(nil)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(Handler(region: { box.withLock { $0! } }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let region = SyntheticRegion(name: name, server: server)
        box.withLock { $0 = region }
        return region
    }

    func setReady(_ ready: Bool, for flows: [String]) {
        state.withLock { state in
            for flow in flows { if ready { state.unready.remove(flow) } else { state.unready.insert(flow) } }
        }
    }

    func setLive(_ live: Bool) { state.withLock { $0.live = live } }
    func setDropping(_ dropping: Bool) { state.withLock { $0.dropping = dropping } }
    func setShedding(_ shedding: Bool) { state.withLock { $0.shedding = shedding } }
    func setProbeDelay(_ delay: TimeAmount) { state.withLock { $0.probeDelay = delay } }
    var received: [String] { state.withLock { $0.received } }
    func forget() { state.withLock { $0.received = [] } }

    func stop() async { try? await server.close() }

    /// The status for a probe path, or nil for a shopper's request.
    fileprivate func probe(_ path: String) -> HTTPResponseStatus? {
        state.withLock { state in
            if path == "/health/live" { return state.live ? .ok : .serviceUnavailable }
            if path.hasPrefix("/health/ready/") {
                let flow = String(path.dropFirst("/health/ready/".count))
                return state.live && !state.unready.contains(flow) ? .ok : .serviceUnavailable
            }
            return nil
        }
    }

    /// The answer's status for a shopper's request, or nil to drop it.
    fileprivate func shopperRequest(_ head: HTTPRequestHead) -> HTTPResponseStatus? {
        state.withLock { state in
            state.received.append("\(head.method.rawValue) \(head.uri)")
            if state.dropping { return nil }
            return state.shedding ? .serviceUnavailable : .ok
        }
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let region: @Sendable () -> SyntheticRegion
        private var head: HTTPRequestHead?

        init(region: @escaping @Sendable () -> SyntheticRegion) { self.region = region }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body: break
            case .end:
                guard let head else { return }
                let region = region()
                if let probe = region.probe(head.uri) {
                    let delay = region.state.withLock { $0.probeDelay }
                    let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                    context.eventLoop.scheduleTask(in: delay) {
                        let (handler, context) = loopBound.value
                        handler.answer(status: probe, region: region, version: head.version, context: context)
                    }
                } else if let answer = region.shopperRequest(head) {
                    self.answer(status: answer, region: region, version: head.version, context: context)
                } else {
                    context.close(promise: nil)
                }
            }
        }

        private func answer(status: HTTPResponseStatus, region: SyntheticRegion, version: HTTPVersion, context: ChannelHandlerContext) {
            let body = ByteBuffer(string: #"{"region": "\#(region.name)"}"#)
            var headers = HTTPHeaders([("Content-Type", "application/json"), ("X-Region", region.name)])
            headers.add(name: "Content-Length", value: "\(body.readableBytes)")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
