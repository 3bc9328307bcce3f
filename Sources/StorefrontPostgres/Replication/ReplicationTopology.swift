import Foundation
import StorefrontCore

/// The regions one region replicates with, and the names the replication objects get.
public struct ReplicationTopology: Sendable {
    public struct PeerDatabase: Sendable {
        public var region: Region
        /// How this region's subscription reaches the peer: the peer's database, as a role with REPLICATION.
        public var url: DatabaseURL

        public init(region: Region, url: DatabaseURL) {
            self.region = region
            self.url = url
        }
    }

    public var region: Region
    public var catalogHome: Region
    public var peers: [PeerDatabase]
    /// The database name, part of slot names: slots are per cluster, and several databases may replicate.
    public var database: String

    public init(region: Region, catalogHome: Region, peers: [PeerDatabase], database: String) throws(StorefrontError) {
        guard !peers.contains(where: { $0.region == region }) else {
            throw .invalidConfiguration("region \(region) cannot be its own peer")
        }
        guard Set(peers.map(\.region)).count == peers.count else { throw .invalidConfiguration("a peer is named twice") }
        guard isIdentifier(database) else { throw .invalidConfiguration("database name \(database) must be a plain lowercase identifier") }
        self.region = region
        self.catalogHome = catalogHome
        self.peers = peers
        self.database = database
    }

    /// Rows homed in a region: published by it with `WHERE (region = '<self>')`, children after parents.
    public static let ownedTables = [
        "carts", "cart_items", "orders", "order_lines", "stock", "heartbeats", "idempotency_keys", "stock_transfers",
        "stock_transfer_receipts",
    ]
    /// The catalog, published whole by the catalog home region.
    public static let catalogTables = ["brands", "categories", "products", "variants"]
    public static let catalogPublication = "storefront_catalog"

    static func identifier(_ region: Region) -> String { region.name.replacingOccurrences(of: "-", with: "_") }

    public static func publication(of region: Region) -> String { "storefront_\(identifier(region))" }

    public func subscription(to peer: Region) -> String { Self.subscriptionName(from: peer) }

    /// The name of the subscription through which a region receives `peer`'s changes.
    public static func subscriptionName(from peer: Region) -> String { "from_\(identifier(peer))" }

    /// Slot names are cluster-wide: the database and both regions make them unique.
    public func slot(from peer: Region) -> String {
        String("sf_\(database)_\(Self.identifier(peer))_to_\(Self.identifier(region))".prefix(63))
    }

    public func publications(of peer: Region) -> [String] {
        [Self.publication(of: peer)] + (peer == catalogHome ? [Self.catalogPublication] : [])
    }
}

extension DatabaseURL {
    /// A libpq connection string, as CREATE SUBSCRIPTION takes it, each value quoted.
    var conninfo: String {
        func quoted(_ value: String) -> String {
            "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        }
        var parts = ["host=\(quoted(host))", "port=\(port)", "dbname=\(quoted(database))", "user=\(quoted(username))"]
        if let password { parts.append("password=\(quoted(password))") }
        if verifyServer {
            parts.append("sslmode=verify-full")
            if let caFile { parts.append("sslrootcert=\(quoted(caFile))") }
        } else if requireTLS {
            parts.append("sslmode=require")
        }
        return parts.joined(separator: " ")
    }
}

/// A SQL string literal for DDL, which takes no bound parameters: quotes doubled, never from a shopper.
func sqlLiteral(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
}
