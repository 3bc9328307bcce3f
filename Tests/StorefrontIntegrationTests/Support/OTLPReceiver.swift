import Foundation
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import StorefrontTestSupport
import Testing

/// A collector for the suite: takes OTLP/HTTP trace exports in the JSON encoding at `/v1/traces`, as
/// an OpenTelemetry collector would, and keeps every body it was sent.
final class OTLPReceiver: Sendable {
    private let bodies = NIOLockedValueBox<[Data]>([])

    /// Runs a receiver beside `body`, which gets its base URL.
    static func with<Result: Sendable>(_ body: @Sendable (OTLPReceiver, String) async throws -> Result) async throws -> Result {
        let receiver = OTLPReceiver()
        let router = Router()
        router.post("v1/traces") { request, _ -> Response in
            guard request.headers[.contentType] == "application/json" else { return Response(status: .unsupportedMediaType) }
            let bytes = try await request.body.collect(upTo: 16 << 20)
            receiver.bodies.withLockedValue { $0.append(Data(bytes.readableBytesView)) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in
            try await body(receiver, "http://127.0.0.1:\(try #require(client.port))")
        }
    }

    /// Every export body as it came, to search for what must not be in it.
    var rawText: String { bodies.withLockedValue { $0.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n") } }

    /// Every span received, with the region of the resource that sent it.
    func spans() throws -> [ReceivedSpan] {
        var spans: [ReceivedSpan] = []
        for body in bodies.withLockedValue({ $0 }) {
            let document = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            for resourceSpans in document["resourceSpans"] as? [[String: Any]] ?? [] {
                let resource = Self.attributes((resourceSpans["resource"] as? [String: Any])?["attributes"])
                for scope in resourceSpans["scopeSpans"] as? [[String: Any]] ?? [] {
                    for span in scope["spans"] as? [[String: Any]] ?? [] {
                        spans.append(
                            ReceivedSpan(
                                region: resource["cloud.region"] ?? "",
                                traceID: span["traceId"] as? String ?? "",
                                spanID: span["spanId"] as? String ?? "",
                                parentSpanID: span["parentSpanId"] as? String,
                                name: span["name"] as? String ?? "",
                                kind: span["kind"] as? Int ?? 0,
                                attributes: Self.attributes(span["attributes"])
                            )
                        )
                    }
                }
            }
        }
        return spans
    }

    /// OTLP's `[{key, value: {stringValue | intValue | boolValue | doubleValue}}]` as text by key.
    private static func attributes(_ list: Any?) -> [String: String] {
        var attributes: [String: String] = [:]
        for pair in list as? [[String: Any]] ?? [] {
            guard let key = pair["key"] as? String, let value = (pair["value"] as? [String: Any])?.values.first else { continue }
            attributes[key] = "\(value)"
        }
        return attributes
    }
}

struct ReceivedSpan: Sendable {
    var region: String
    var traceID: String
    var spanID: String
    var parentSpanID: String?
    var name: String
    /// OTLP's numbers: 1 internal, 2 server, 3 client.
    var kind: Int
    var attributes: [String: String]
}

/// A collector that accepts connections and never answers: the slowest a collector can be. It counts the
/// connections it holds open, each an export waiting for its answer.
final class SilentCollector: Sendable {
    let channel: any Channel
    private let open: NIOLockedValueBox<Int>

    init() async throws {
        let open = NIOLockedValueBox(0)
        self.open = open
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                open.withLockedValue { $0 += 1 }
                channel.closeFuture.whenComplete { _ in open.withLockedValue { $0 -= 1 } }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    /// Exports the collector holds unanswered now.
    var heldExports: Int { open.withLockedValue { $0 } }

    var url: String { "http://127.0.0.1:\(channel.localAddress?.port ?? 0)" }

    func close() async throws { try await channel.close() }
}
