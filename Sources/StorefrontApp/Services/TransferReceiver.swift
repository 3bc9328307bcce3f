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
        await everyInterval(interval, activity: activity, doing: "receiving transfers", failure: "receiving stock transfers failed", logger: logger) {
            _ = try await stock.receiveTransfers()
        }
    }
}
