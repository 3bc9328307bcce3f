import NIOCore
import NIOPosix
import StorefrontTestSupport
import Synchronization

/// A TCP connection that sends exactly the bytes it is given, as a hostile or slow client would, and keeps
/// what comes back.
final class RawConnection: Sendable {
    let channel: any Channel
    private let received: Collector

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Mutex<[UInt8]>([])
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLock { $0 += buffer.readableBytesView }
        }
    }

    private init(channel: any Channel, received: Collector) {
        self.channel = channel
        self.received = received
    }

    static func open(port: Int) async throws -> RawConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, received: collector)
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    var text: String { String(decoding: received.bytes.withLock { $0 }, as: UTF8.self) }
    /// The status code of the first response, once its status line has arrived.
    var status: Int? {
        let line = text.split(separator: "\r\n", maxSplits: 1).first ?? ""
        return line.hasPrefix("HTTP/1.1 ") ? Int(line.dropFirst(9).prefix(3)) : nil
    }
    /// Closed by the server, or by `close()`.
    var isClosed: Bool { !channel.isActive }

    func close() async {
        try? await channel.close()
    }
}
