import Logging
import StorefrontCore
import StorefrontHTTP
import StorefrontPostgres
import StorefrontTracing
import Testing

@testable import StorefrontApp

/// The settings as `Settings` declares them: read, defaulted, refused, and documented from one place.
@Suite struct SettingsTests {
    @Test func anEmptyEnvironmentGivesTheDocumentedDefaults() throws {
        let configuration = try AppConfiguration(environment: [:])
        #expect(configuration.region.name == "us-east")
        #expect(configuration.catalogHome == configuration.region)
        #expect(configuration.port == 8080)
        #expect(configuration.migrationDatabaseURL.database == configuration.databaseURL.database)
        #expect(configuration.lockTimeoutMilliseconds == configuration.statementTimeoutMilliseconds)
        #expect(configuration.httpLimits == HTTPLimits(), "the HTTP limits' defaults are the limits' own")
        #expect(configuration.logLevel == .info)
        #expect(configuration.tracing.parentPolicy == .trusted)
        #expect(configuration.rateLimits == RateLimitPolicy.defaults)
        #expect(!configuration.synchronousCartCommits)
        #expect(configuration.databaseKeepAlive == nil)
    }

    @Test func anEmptyVariableIsAnUnsetOne() throws {
        #expect(try AppConfiguration(environment: ["STOREFRONT_PORT": ""]).port == 8080)
    }

    @Test(arguments: [
        ("STOREFRONT_PORT", "65536", "STOREFRONT_PORT must be a whole number in 0...65535"),
        ("STOREFRONT_PORT", "eighty", "STOREFRONT_PORT must be a whole number in 0...65535"),
        ("STOREFRONT_MIGRATE", "maybe", "STOREFRONT_MIGRATE must be true or false"),
        ("STOREFRONT_CART_COMMIT", "later", "STOREFRONT_CART_COMMIT must be async or sync"),
        ("STOREFRONT_HEALTH_DETAILS", "all", "STOREFRONT_HEALTH_DETAILS must be token or public"),
        ("STOREFRONT_TRACE_PARENT", "sometimes", "STOREFRONT_TRACE_PARENT must be trusted, always or never"),
        ("STOREFRONT_TRACE_SAMPLE", "2", "STOREFRONT_TRACE_SAMPLE must be a number from 0 to 1"),
        ("STOREFRONT_DB_LOCK_TIMEOUT_MS", "6000", "STOREFRONT_DB_LOCK_TIMEOUT_MS must be at most the statement timeout (5000)"),
    ])
    func aValueOutOfItsRangeNamesItsVariable(variable: String, value: String, message: String) {
        #expect(throws: StorefrontError.invalidConfiguration(message)) { try AppConfiguration(environment: [variable: value]) }
    }

    @Test func theLogLevelIsOneOfSwiftLogsLevels() throws {
        #expect(try AppConfiguration(environment: ["STOREFRONT_LOG_LEVEL": "debug"]).logLevel == .debug)
        #expect(throws: StorefrontError.self) { try AppConfiguration(environment: ["STOREFRONT_LOG_LEVEL": "loud"]) }
    }

    @Test func everySettingIsListedOnceWithAMeaning() {
        let names = Settings.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0.hasPrefix("STOREFRONT_") })
        #expect(Settings.all.allSatisfy { !$0.meaning.isEmpty && !$0.shownDefault.isEmpty })
    }

    /// `serve --help` is read in a terminal: no backticks, a link as its text and address.
    @Test func helpShowsMarkdownAsPlainText() {
        #expect(SettingDescription.plain("`sync`: see [the notes](docs/durability.md)") == "sync: see the notes (docs/durability.md)")
        #expect(SettingDescription.plain("([docs/memory.md](docs/memory.md))") == "(docs/memory.md)")
    }
}
