import Logging
import ServiceLifecycle
import StorefrontCore
import StorefrontPostgres

/// Every interval, credits the stock transfers that reached this region by replication: in the one instance
/// of the region that holds the transfers' lease (a receipt's key makes a second credit impossible anyway).
struct TransferReceiver: Service {
    let stock: any StockStore
    let session: RegionSession
    let interval: Duration
    let logger: Logger
    let activity = Activity()

    func run() async throws {
        await everyInterval(interval, activity: activity, doing: "receiving transfers", failure: "receiving stock transfers failed", logger: logger) {
            guard await session.holds(.transfers) else { return }
            _ = try await stock.receiveTransfers()
        }
    }
}
