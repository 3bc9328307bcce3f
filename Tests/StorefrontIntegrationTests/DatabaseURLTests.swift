import NIOSSL
import StorefrontCore
import Testing

@testable import StorefrontPostgres

/// How a database URL's TLS settings reach the pool and the subscriptions PostgreSQL opens to its peers.
@Suite struct DatabaseURLTests {
    @Test func verifyFullWithACAFileReachesTheSubscription() throws {
        let url = try DatabaseURL("postgres://rep:pw@db.eu.example:5432/storefront?sslmode=verify-full&sslrootcert=/etc/storefront/ca.pem")
        #expect(url.requireTLS && url.verifyServer)
        #expect(url.caFile == "/etc/storefront/ca.pem")
        #expect(url.conninfo.hasSuffix("sslmode=verify-full sslrootcert='/etc/storefront/ca.pem'"))
        #expect(url.tlsConfiguration.certificateVerification == .fullVerification)
    }

    @Test func requireEncryptsWithoutVerifyingAsLibpqDoes() throws {
        let url = try DatabaseURL("postgres://rep:pw@db/storefront?sslmode=require")
        #expect(url.conninfo.hasSuffix("sslmode=require"))
        #expect(url.tlsConfiguration.certificateVerification == .none)
        #expect(!(try DatabaseURL("postgres://rep@db/storefront")).conninfo.contains("sslmode"))
    }

    @Test func badTLSSettingsAreRefused() {
        for bad in [
            "postgres://rep@db/storefront?sslmode=prefer",
            "postgres://rep@db/storefront?sslmode=require&sslrootcert=/ca.pem",
            "postgres://rep@db/storefront?sslmode=verify-full&sslrootcert=ca.pem",
        ] {
            #expect(throws: StorefrontError.self, "\(bad)") { try DatabaseURL(bad) }
        }
    }
}
