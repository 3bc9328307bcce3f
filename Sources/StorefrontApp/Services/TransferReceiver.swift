import AsyncAlgorithms
import Logging
import ServiceLifecycle
import StorefrontCore

/// Every interval, credits the stock transfers that reached this region by replication.
struct TransferReceiver: Service {
    let stock: any StockStore
    let interval: Duration
    let logger: Logger
    let activity = Activity()

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in AsyncTimerSequence(interval: interval, clock: .continuous) {
                do {
                    activity.set("receiving transfers")
                    _ = try await stock.receiveTransfers()
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("receiving stock transfers failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                activity.set("waiting for the next round")
            }
        }
    }
}
