import HTTPTypes
import NIOCore
import NIOHTTPTypes
import StorefrontHTTP

/// One per connection, after the `ConnectionGuard`: answers the reads that come from memory (`MemoryReads`:
/// the probes and the product pages the catalog holds) right here, on the connection's event loop, and passes
/// every other request on to the router. A memory read then costs the HTTP codec and its bytes, where the
/// router's way costs a hand-off from the loop to a task and back for the request and for its answer: the
/// difference between 0.4 and 0.6 of nginx serving the same bytes.
///
/// Answers keep the order of their requests: while the router owes this connection an answer, every later
/// request goes to the router too. A request that asks for the connection to close goes to the router, which
/// closes it.
final class MemoryReadHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let reads: MemoryReads
    /// Requests handed to the router whose answers are not written yet.
    private var owedByRouter = 0
    /// A GET's head, held until its end arrives to see whether memory answers it.
    private var held: (request: HTTPRequest, started: ContinuousClock.Instant)?

    init(reads: MemoryReads) {
        self.reads = reads
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            if owedByRouter == 0, request.method == .get, request.headerFields[.connection]?.lowercased() != "close" {
                held = (request, .now)
                return
            }
            owedByRouter += 1
        case .body:
            // A GET with a body is unusual enough to be the router's.
            passHeldRequest(context)
        case .end:
            if let held {
                self.held = nil
                if let (head, body) = reads.answer(held.request, started: held.started, peer: { context.channel.remoteAddress?.ipAddress }) {
                    context.write(wrapOutboundOut(.head(head)), promise: nil)
                    context.write(wrapOutboundOut(.body(body)), promise: nil)
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                    return
                }
                self.held = held
                passHeldRequest(context)
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Only the router's answers come this way: this handler writes its own from its own context.
        if case .end = unwrapOutboundIn(data) { owedByRouter -= 1 }
        context.write(data, promise: promise)
    }

    private func passHeldRequest(_ context: ChannelHandlerContext) {
        guard let held else { return }
        self.held = nil
        owedByRouter += 1
        context.fireChannelRead(wrapInboundOut(.head(held.request)))
    }
}
