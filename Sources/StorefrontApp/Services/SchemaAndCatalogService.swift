import Logging
import PostgresNIO
import ServiceLifecycle
import StorefrontCore
import StorefrontHealth
import StorefrontPostgres

/// Brings the region up in order — migrations, then what the catalog needs to serve — and then keeps the
/// catalog fresh.
///
/// While the database is unreachable it retries, so a region whose database starts late comes up by itself;
/// a schema this binary does not know stops the process, since serving it could corrupt data.
struct SchemaAndCatalogService<Store: CatalogStore>: Service {
    let configuration: AppConfiguration
    let appClient: PostgresClient
    let refresher: CatalogRefresher<Store>
    let health: HealthMonitor
    let logger: Logger
    let activity = Activity()

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await retrying("migrations") { try await prepareSchema() }
                health.markMigrated()
                let start = try await retrying("catalog load") { try await refresher.start() }
                health.markCatalogLoaded()
                activity.set("refreshing the catalog")
                await refresher.keepFresh(from: start)
            }
        } catch is CancellationError {
            // Shutting down: not a failure.
        }
    }

    private func prepareSchema() async throws {
        let migrator = try Migrator(migrations: try Migration.bundled(), appRole: configuration.appRole, logger: logger)
        if configuration.migrate {
            let watch = PoolWatch()
            activity.set(describedBy: { "migrating: \(watch.description); \(watch.recentEvents)" })
            _ = try await PostgresClient.withRunning(configuration.migrationDatabaseURL, logger: logger, maximumConnections: 1, watch: watch) {
                client in
                try await migrator.migrate(client)
            }
        } else {
            let pending = try await migrator.check(appClient)
            guard pending.isEmpty else {
                throw StorefrontError.schemaMismatch("migrations \(pending) are pending and STOREFRONT_MIGRATE is false")
            }
        }
        try await checkClusterName(appClient, region: configuration.region, logger: logger)
        try await checkSlotWALLimit(appClient, allowUnlimited: configuration.allowUnlimitedSlotWAL, logger: logger)
    }

    private func retrying<Result: Sendable>(_ step: String, _ body: () async throws -> Result) async throws -> Result {
        var delay = Duration.milliseconds(200)
        while true {
            activity.set(step)
            do {
                return try await body()
            } catch let error as StorefrontError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.warning("start-up step failed, retrying", metadata: ["step": "\(step)", "error": "\(logDescription(of: error))"])
                activity.set("waiting \(delay) to retry \(step)")
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
