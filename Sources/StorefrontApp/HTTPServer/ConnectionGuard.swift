import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Prometheus
import StorefrontCore
import StorefrontHTTP
import StorefrontMetrics
import Synchronization

/// One per connection, first after HTTP decoding: closes the connection when the server already holds
/// `maxConnections`, when a request's head or body does not arrive in time (a client trickling bytes holds
/// a socket and a task for as long as it is let), and answers 431 to headers over the decoder's limits.
///
/// One timer at most per connection, armed for the earliest deadline that applies and re-armed when it
/// fires early: a request that arrives whole costs no timer work of its own.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Shared by every connection of one server.
    final class Census: Sendable {
        let limits: HTTPLimits
        let open = Atomic<Int>(0)
        let openGauge: Gauge
        let refused: Counter
        let timedOut: Counter

        init(limits: HTTPLimits, registry: PrometheusCollectorRegistry) {
            self.limits = limits
            openGauge = registry.makeGauge(
                descriptor: .storefront("http", "connections", unit: "open", help: "HTTP connections open now")
            )
            refused = registry.makeCounter(
                descriptor: .storefront(
                    "http",
                    "connections_refused",
                    unit: "total",
                    help: "Connections closed on arrival: the server held its maximum"
                )
            )
            timedOut = registry.makeCounter(
                descriptor: .storefront(
                    "http",
                    "connections_timed_out",
                    unit: "total",
                    help: "Connections closed because a request's head or body came too slowly"
                )
            )
        }
    }

    private enum Phase {
        /// Waiting for a request's head: the first within the header timeout, the next within the idle timeout.
        case awaitingHead(until: NIODeadline)
        case readingBody(until: NIODeadline)
        /// Every request read; nothing is due from the client until the responses are written.
        case answering
    }

    private let census: Census
    private var phase: Phase
    private var responsesOwed = 0
    private var counted = false
    private var timer: (at: NIODeadline, task: Scheduled<Void>)?

    init(census: Census) {
        self.census = census
        phase = .awaitingHead(until: .now() + TimeAmount(census.limits.headerTimeout))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let open = census.open.wrappingAdd(1, ordering: .relaxed).newValue
        counted = true
        census.openGauge.set(Int64(open))
        guard open <= census.limits.maxConnections else {
            census.refused.increment()
            context.close(promise: nil)
            return
        }
        arm(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.task.cancel()
        timer = nil
        if counted {
            counted = false
            census.openGauge.set(Int64(census.open.wrappingSubtract(1, ordering: .relaxed).newValue))
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            responsesOwed += 1
            phase = .readingBody(until: .now() + TimeAmount(census.limits.bodyTimeout))
            arm(context)
        case .body:
            break
        case .end:
            // A route may answer before reading the body (a refusal): then the next request is already due.
            if responsesOwed == 0 {
                phase = .awaitingHead(until: .now() + TimeAmount(census.limits.idleTimeout))
                arm(context)
            } else {
                phase = .answering
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            responsesOwed -= 1
            if responsesOwed == 0, case .answering = phase {
                phase = .awaitingHead(until: .now() + TimeAmount(census.limits.idleTimeout))
                arm(context)
            }
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Over the decoder's header limits: say so, then close, for the decoder reads nothing more.
        if let parserError = error as? HTTPParserError, parserError == .headerOverflow, responsesOwed == 0 {
            let head = HTTPResponse(status: .init(code: 431), headerFields: [.contentLength: "0", .connection: "close"])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
            return
        }
        context.fireErrorCaught(error)
    }

    /// Makes sure a timer fires by the current phase's deadline.
    private func arm(_ context: ChannelHandlerContext) {
        let deadline: NIODeadline
        switch phase {
        case .awaitingHead(let until), .readingBody(let until): deadline = until
        case .answering: return
        }
        if let timer, timer.at <= deadline { return }
        timer?.task.cancel()
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            expire(context)
        }
        timer = (deadline, task)
    }

    private func expire(_ context: ChannelHandlerContext) {
        switch phase {
        case .awaitingHead(let until), .readingBody(let until):
            if until <= .now() {
                census.timedOut.increment()
                context.close(promise: nil)
            } else {
                arm(context)
            }
        case .answering:
            break
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) { self = .nanoseconds(duration.nanoseconds) }
}
