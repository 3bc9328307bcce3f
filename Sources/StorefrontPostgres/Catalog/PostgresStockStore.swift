import Logging
import PostgresNIO
import StorefrontCore

/// The serving region's stock allocations.
public struct PostgresStockStore: StockStore {
    let client: PostgresClient
    let region: Region
    let logger: Logger

    public init(client: PostgresClient, region: Region, logger: Logger) {
        self.client = client
        self.region = region
        self.logger = logger
    }

    public func setAvailable(_ available: Int, sku: String) async throws {
        let written = try await client.query(
            """
            INSERT INTO stock (region, sku, available)
            SELECT \(region.name), v.sku, \(Int32(available)) FROM variants v WHERE v.sku = \(sku)
            ON CONFLICT (region, sku) DO UPDATE SET available = EXCLUDED.available
            RETURNING 1
            """, logger: logger
        ).collect()
        guard !written.isEmpty else { throw StorefrontError.unknownSKU(sku) }
    }
}
