import Logging
import ServiceLifecycle
import StorefrontCore

/// Every interval, credits the stock transfers that reached this region by replication.
struct TransferReceiver: Service {
    let stock: any StockStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await stock.receiveTransfers()
                } catch {
                    logger.warning("receiving stock transfers failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
