import CStorefrontAllocator
import Logging
import Prometheus
import ServiceLifecycle
import StorefrontCore
import StorefrontMetrics

/// Every interval, gives the pages the allocator holds free back to the kernel, and shows on `/metrics` how
/// much of the heap is in use: RSS well above it is memory the allocator holds, not memory the store uses.
///
/// glibc gives back only the top of each arena by itself, so a burst left the process at its high-water
/// mark: measured, a minute of listings at 64 connections left 161 MB anonymous of which 146 MB was free
/// (the burst's memory was mostly cancelled `Task.sleep`s, each held until its deadline: docs/memory.md).
/// A trim brought it back to 39 MB.
struct AllocatorTrim: Service {
    let interval: Duration
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    let activity = Activity()

    func run() async throws {
        let inUse = registry.makeGauge(
            descriptor: .storefront("process", "heap_in_use", unit: "bytes", help: "Bytes of heap handed out and not yet freed, after each trim")
        )
        // Each arena is locked while it is trimmed: allocations in it wait that long.
        let took = registry.makeGauge(descriptor: .storefront("process", "heap_trim", unit: "seconds", help: "How long the latest trim took"))
        @Sendable func trim() {
            let started = ContinuousClock.now
            _ = storefront_allocator_release_free_pages()
            took.set(Double((ContinuousClock.now - started).milliseconds) / 1000)
            inUse.set(Double(storefront_allocator_in_use()))
        }
        // At once too, so that the gauge has a value from the start.
        trim()
        await everyInterval(interval, activity: activity, doing: "trimming the heap", failure: "trimming the heap failed", logger: logger) {
            trim()
        }
    }
}
