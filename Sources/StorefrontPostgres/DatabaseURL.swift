import Foundation
import PostgresNIO
import StorefrontCore

/// A `postgres://user:password@host:port/database?sslmode=disable|require|verify-full` URL, turned into a
/// client configuration. `verify-full` checks the server's certificate and name against the CA file in
/// `sslrootcert` (the system's roots without it). `?host=/directory` connects through the server's Unix
/// socket in that directory instead.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var requireTLS: Bool
    /// Check the server's certificate chain and host name, against `caFile` when set.
    public var verifyServer: Bool
    public var caFile: String?
    public var socketDirectory: String?

    public init(_ text: String) throws(StorefrontError) {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme),
            let host = components.host, !host.isEmpty, let username = components.user, !username.isEmpty
        else {
            throw .invalidConfiguration("database URL must look like postgres://user:password@host:port/database")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw .invalidConfiguration("database URL names no database") }
        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard ["disable", "require", "verify-full"].contains(sslMode) else {
            throw .invalidConfiguration("sslmode must be disable, require or verify-full")
        }
        let caFile = components.queryItems?.first { $0.name == "sslrootcert" }?.value
        if let caFile, sslMode != "verify-full" || !caFile.hasPrefix("/") {
            throw .invalidConfiguration("sslrootcert is an absolute path to a CA file, with sslmode=verify-full")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = username
        self.password = components.password?.removingPercentEncoding
        self.database = database
        self.requireTLS = sslMode != "disable"
        self.verifyServer = sslMode == "verify-full"
        self.caFile = caFile
        self.socketDirectory = components.queryItems?.first { $0.name == "host" }?.value.flatMap { $0.hasPrefix("/") ? $0 : nil }
    }

    /// The same server and credentials, another database.
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The URL without its password, for logs and error messages.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    /// One connection of its own, outside any pool.
    /// Throws when TLS is asked for and its context cannot be made (a CA file missing or not a certificate):
    /// a configuration error named at start-up, never a crash.
    public func connectionConfiguration(connectTimeout: Duration) throws(StorefrontError) -> PostgresConnection.Configuration {
        var configuration =
            if let socketDirectory {
                PostgresConnection.Configuration(
                    unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)",
                    username: username,
                    password: password,
                    database: database
                )
            } else {
                PostgresConnection.Configuration(
                    host: host,
                    port: port,
                    username: username,
                    password: password,
                    database: database,
                    tls: requireTLS ? .require(try tlsContext()) : .disable
                )
            }
        configuration.options.connectTimeout = .nanoseconds(connectTimeout.nanoseconds)
        return configuration
    }

    private func tlsContext() throws(StorefrontError) -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: tlsConfiguration)
        } catch {
            throw .invalidConfiguration("the database URL's TLS settings cannot be used (sslrootcert \(caFile ?? "none")): \(error)")
        }
    }

    /// `require` encrypts without checking who answers, as libpq's does; `verify-full` checks the chain and
    /// the host name.
    var tlsConfiguration: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if verifyServer {
            if let caFile { tls.trustRoots = .file(caFile) }
        } else {
            tls.certificateVerification = .none
        }
        return tls
    }

    public func clientConfiguration(maximumConnections: Int = 20) -> PostgresClient.Configuration {
        var configuration =
            if let socketDirectory {
                PostgresClient.Configuration(
                    unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)",
                    username: username,
                    password: password,
                    database: database
                )
            } else {
                PostgresClient.Configuration(
                    host: host,
                    port: port,
                    username: username,
                    password: password,
                    database: database,
                    tls: requireTLS ? .require(tlsConfiguration) : .disable
                )
            }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }
}
