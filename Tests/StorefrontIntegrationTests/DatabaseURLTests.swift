import Foundation
import NIOSSL
import StorefrontCore
import StorefrontTestSupport
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

    /// A CA file that is missing or holds no certificate is a configuration error when this process connects
    /// (the region refuses to build, naming it), not a crash; the URL itself stays valid, since a peer's
    /// subscription reads its CA file on the peer's server.
    @Test func aCAFileThatCannotBeReadIsAnErrorWhenConnectingNotACrash() throws {
        let garbage = NSTemporaryDirectory() + "not-a-ca-\(UUID().uuidString).pem"
        try "not a certificate".write(toFile: garbage, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: garbage) }
        for file in ["/nonexistent/ca.pem", garbage] {
            let url = try DatabaseURL("postgres://app:pw@127.0.0.1:5432/storefront?sslmode=verify-full&sslrootcert=\(file)")
            #expect(url.caFile == file)
            do {
                _ = try url.connectionConfiguration(connectTimeout: .seconds(1))
                Issue.record("\(file): no error")
            } catch {
                guard case .invalidConfiguration(let message) = error else {
                    Issue.record("\(file): \(error)")
                    continue
                }
                #expect(message.contains("sslrootcert \(file)"), "\(message)")
            }
        }
    }
}
