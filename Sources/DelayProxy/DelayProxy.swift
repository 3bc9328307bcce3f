import NIOCore
import NIOPosix
import StorefrontCore
import Synchronization

/// A TCP proxy that holds every chunk of bytes, in both directions, for a delay that can change while it
/// runs: distance between regions, or a slow database, on a kernel without `netem`.
///
/// Bytes keep their order even when the delay shrinks: a chunk is never released before the one ahead of it.
public final class DelayProxy: Sendable {
    private let setting = DelaySetting()
    private let server: any Channel
    /// Every connection accepted and still open, so that `cut()` can drop them all.
    private let open = OpenChannels()
    public var port: Int { server.localAddress?.port ?? 0 }

    /// How long each chunk is held, each way.
    public var delay: Duration {
        get { .nanoseconds(setting.nanoseconds.load(ordering: .relaxed)) }
        set { setting.nanoseconds.store(newValue.nanoseconds, ordering: .relaxed) }
    }

    /// Listens on `host:port` (0 picks a free port) and forwards each connection to `target`.
    public init(listen host: String = "127.0.0.1", port: Int = 0, target: SocketAddress, delay: Duration = .zero) async throws {
        let setting = setting
        let open = open
        setting.nanoseconds.store(delay.nanoseconds, ordering: .relaxed)
        server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                open.add(inbound)
                return ClientBootstrap(group: inbound.eventLoop)
                    .connect(to: target)
                    .flatMap { outbound in
                        open.add(outbound)
                        return inbound.pipeline.addHandler(DelayedRelay(partner: outbound, setting: setting)).flatMap {
                            outbound.pipeline.addHandler(DelayedRelay(partner: inbound, setting: setting))
                        }
                    }
            }
            .bind(host: host, port: port)
            .get()
    }

    public func close() async {
        try? await server.close()
    }

    /// As a machine that dies: the listener and every connection through it gone at once, with nothing
    /// delivered that was still held.
    public func cut() async {
        try? await server.close()
        for channel in open.all { try? await channel.close() }
    }
}

private final class OpenChannels: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in self.channels.withLock { _ = $0.removeValue(forKey: id) } }
    }

    var all: [any Channel] { channels.withLock { Array($0.values) } }
}

private final class DelaySetting: Sendable {
    let nanoseconds = Atomic<Int64>(0)
}

/// Forwards what one side reads to its partner after the current delay, and closes the partner once the
/// bytes ahead of the close have gone.
private final class DelayedRelay: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let partner: any Channel
    let setting: DelaySetting
    private let lastRelease = Mutex<NIODeadline>(.uptimeNanoseconds(0))

    init(partner: any Channel, setting: DelaySetting) {
        self.partner = partner
        self.setting = setting
    }

    private func releaseTime() -> NIODeadline {
        lastRelease.withLock { last in
            last = max(NIODeadline.now() + .nanoseconds(setting.nanoseconds.load(ordering: .relaxed)), last)
            return last
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let partner = partner
        context.eventLoop.scheduleTask(deadline: releaseTime()) {
            partner.writeAndFlush(buffer, promise: nil)
        }
    }

    // The side a shopper connects to does not read by itself, so nothing is read before its partner exists.
    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { context.read() }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.read()
        context.fireChannelActive()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let partner = partner
        context.eventLoop.scheduleTask(deadline: releaseTime()) {
            partner.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
