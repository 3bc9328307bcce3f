import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle
import StorefrontApp
import StorefrontCore
import StorefrontPostgres

@main
struct Storefront: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The Storefront shoe store backend.",
        subcommands: [Serve.self, Migrate.self, Seed.self, Replication.self, Health.self, Load.self, Edge.self, DelayProxyCommand.self]
    )
}

/// Options every command shares; each falls back to its STOREFRONT_* environment variable.
struct CommonOptions: ParsableArguments {
    @Option(help: "This region's name (STOREFRONT_REGION).") var region: String?
    @Option(help: "The serving role's database URL (STOREFRONT_DATABASE_URL).") var databaseURL: String?
    @Option(help: "The schema owner's database URL (STOREFRONT_MIGRATION_DATABASE_URL).") var migrationDatabaseURL: String?
    @Option(help: "Log level (STOREFRONT_LOG_LEVEL).") var logLevel: String?

    func environment(_ extra: [String: String?] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        let overrides: [String: String?] = [
            "STOREFRONT_REGION": region, "STOREFRONT_DATABASE_URL": databaseURL,
            "STOREFRONT_MIGRATION_DATABASE_URL": migrationDatabaseURL, "STOREFRONT_LOG_LEVEL": logLevel,
        ].merging(extra) { $1 }
        for case let (name, value?) in overrides { environment[name] = value }
        return environment
    }

    func configuration(_ extra: [String: String?] = [:]) throws -> AppConfiguration {
        do {
            return try AppConfiguration(environment: environment(extra))
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// Runs a command, printing a failure's full cause: an operator at a terminal needs the database's message,
/// which PostgresNIO keeps out of `description` so it never reaches an HTTP response.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ValidationError {
        throw error
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("error: \(String(reflecting: error))\n".utf8))
        throw ExitCode.failure
    }
}

func makeLogger(_ configuration: AppConfiguration) -> Logger {
    LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: configuration.logLevel) }
    var logger = Logger(label: "storefront")
    logger[metadataKey: "region"] = .string(configuration.region.name)
    return logger
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the API until SIGTERM or SIGINT, then drain and exit.",
        discussion: "Environment variables (flags override them):\n"
            + Settings.all.map { "  \($0.name) (default: \($0.plainDefault))\n      \($0.plainMeaning)" }.joined(separator: "\n")
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "Address to listen on (STOREFRONT_HOST).") var host: String?
    @Option(help: "Port to listen on (STOREFRONT_PORT).") var port: Int?
    @Flag(help: "Do not migrate; refuse to start if migrations are pending (STOREFRONT_MIGRATE=false).") var noMigrate = false
    @Flag(help: "Allow the built-in cursor secret and short tokens, on a developer's machine (STOREFRONT_DEVELOPMENT=true).")
    var development = false

    /// The exit status of a stop that overran its bound (EX_SOFTWARE): the log names what did not stop.
    static let stopOverranStatus: Int32 = 70

    func run() async throws {
        try await reportingFailures(serve)
    }

    func serve() async throws {
        let configuration = try common.configuration([
            "STOREFRONT_HOST": host, "STOREFRONT_PORT": port.map(String.init), "STOREFRONT_MIGRATE": noMigrate ? "false" : nil,
            "STOREFRONT_DEVELOPMENT": development ? "true" : nil,
        ])
        let refusals = configuration.unfitToServe
        guard refusals.isEmpty else {
            throw ValidationError(
                "refusing to serve: \(refusals.joined(separator: "; ")). Set them, or pass --development on a developer's machine."
            )
        }
        let logger = makeLogger(configuration)
        let region = try buildRegion(configuration, logger: logger)
        let deadline = region.stopDeadline(
            overran: { report in
                logger.error("stop overran its bound, cancelling what is left", metadata: ["report": .string(report)])
            },
            abandoned: { report in
                logger.critical("stop did not end after cancellation, exiting", metadata: ["report": .string(report)])
                Foundation.exit(Serve.stopOverranStatus)
            }
        )
        // Stopped in reverse order: first the deadline is armed, then readiness turns 503 for the drain grace,
        // then the server stops accepting and finishes what is in flight, then the background services stop,
        // the pool and the log writer last.
        let group = region.serviceGroup(
            server: region.application(),
            logWriter: .standardOutput,
            deadline: deadline,
            stopsOnSignals: true
        )
        try await group.run()
        deadline.disarm()
        if deadline.overrunReport != nil {
            logger.error("stopped, but only after cancellation", metadata: ["report": .string(region.lifecycle.report)])
            throw ExitCode(Serve.stopOverranStatus)
        }
        logger.notice("stopped", metadata: ["timeline": .string(region.lifecycle.timeline.joined(separator: "; "))])
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations as the schema owner, then exit.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await reportingFailures(migrate)
    }

    func migrate() async throws {
        let configuration = try common.configuration()
        let logger = makeLogger(configuration)
        let migrator = try Migrator(migrations: try Migration.bundled(), appRole: configuration.appRole, logger: logger)
        let applied = try await PostgresClient.withRunning(configuration.migrationDatabaseURL, logger: logger) { client in
            try await migrator.migrate(client)
        }
        print(applied.isEmpty ? "schema is up to date" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the deterministic shoe catalog and this region's stock; rerunning keeps what exists."
    )

    @OptionGroup var common: CommonOptions
    @Option(help: "How many products.") var products = 1_000
    @Flag(help: "Only allocate this region's stock; the catalog comes from the catalog home region.") var stockOnly = false

    func validate() throws {
        guard (1...1_000_000).contains(products) else { throw ValidationError("--products must be 1...1000000") }
    }

    func run() async throws {
        try await reportingFailures(seed)
    }

    func seed() async throws {
        let configuration = try common.configuration()
        let logger = makeLogger(configuration)
        let start = ContinuousClock.now
        // Seeding writes the catalog, which only the schema owner may do.
        try await PostgresClient.withRunning(configuration.migrationDatabaseURL, logger: logger) { client in
            try await CatalogSeeder(client: client, logger: logger)
                .seed(products: products, stockRegion: configuration.region, writeCatalog: !stockOnly)
        }
        print("seeded \(products) products and \(configuration.region) stock in \(ContinuousClock.now - start)")
    }
}
