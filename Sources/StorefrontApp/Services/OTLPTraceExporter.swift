import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import ServiceLifecycle
import StorefrontCore
import StorefrontMetrics
import StorefrontTracing

/// Sends kept spans to an OTLP/HTTP collector (`<endpoint>/v1/traces`, OTLP's JSON encoding), in batches of
/// at most `batchSpans`, every `interval`. A collector that is slow or gone costs a request nothing: spans
/// wait in the bounded `SpanExportQueue`, which drops what does not fit; a batch the collector refuses or
/// does not take within `timeout` is dropped too. Both are counted in
/// `storefront_trace_spans_dropped_total{reason}`, the rest in `storefront_trace_spans_exported_total`.
struct OTLPTraceExporter: Service {
    let queue: SpanExportQueue
    let endpoint: String
    let resource: [(String, String)]
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    let timeout: Duration
    var interval: Duration = .seconds(1)
    var batchSpans = 512
    let activity = Activity()

    func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(1))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let counters = (
            exported: registry.makeCounter(
                descriptor: .storefront("trace_spans", "exported", unit: "total", help: "Kept spans the OTLP collector took")
            ),
            failed: Self.droppedCounter("export_failed", registry)
        )
        await everyInterval(interval, activity: activity, doing: "exporting spans", failure: "exporting spans failed", logger: logger) {
            await exportQueued(with: client, counters: counters, timeout: timeout)
        }
        // What was kept before the stop goes too, but within the stop's means: a collector that holds the
        // export must not hold the region's stop for a whole export timeout.
        await exportQueued(with: client, counters: counters, timeout: min(timeout, Self.finalExportTimeout))
        try await client.shutdown()
    }

    static let finalExportTimeout = Duration.seconds(2)

    private func exportQueued(with client: HTTPClient, counters: (exported: Counter, failed: Counter), timeout: Duration) async {
        while true {
            let batch = queue.take(maxSpans: batchSpans)
            guard !batch.isEmpty else { return }
            let spans = batch.reduce(0) { $0 + $1.trace.spans.count }
            var request = HTTPClientRequest(url: endpoint + "/v1/traces")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "storefront-otlp")
            request.body = .bytes(ByteBuffer(bytes: OTLPJSON.exportRequest(batch, resource: resource)))
            do {
                let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
                _ = try await response.body.collect(upTo: 1 << 20)
                guard (200..<300).contains(Int(response.status.code)) else {
                    throw CollectorRefused(status: Int(response.status.code))
                }
                counters.exported.increment(by: Int64(spans))
            } catch {
                counters.failed.increment(by: Int64(spans))
                logger.notice("the OTLP collector did not take a batch of spans: dropped", metadata: ["spans": "\(spans)", "error": "\(error)"])
                // The collector is away: what is queued waits for the next round rather than failing now.
                return
            }
        }
    }

    private struct CollectorRefused: Error, CustomStringConvertible {
        var status: Int
        var description: String { "the collector answered \(status)" }
    }

    /// The queue the tracer offers kept traces to, whose drops and depth are metrics as they happen.
    static func queue(capacity: Int, registry: PrometheusCollectorRegistry) -> SpanExportQueue {
        let dropped = droppedCounter("queue_full", registry)
        let queued = registry.makeGauge(
            descriptor: .storefront("trace_spans", "queued", unit: "", help: "Kept spans waiting for the OTLP collector")
        )
        return SpanExportQueue(capacity: capacity) { depth, newlyDropped in
            queued.set(Double(depth))
            if newlyDropped > 0 { dropped.increment(by: Int64(newlyDropped)) }
        }
    }

    private static func droppedCounter(_ reason: String, _ registry: PrometheusCollectorRegistry) -> Counter {
        registry.makeCounter(
            descriptor: .storefront("trace_spans", "dropped", unit: "total", help: "Kept spans not exported, by reason"),
            labels: [("reason", reason)]
        )
    }
}
