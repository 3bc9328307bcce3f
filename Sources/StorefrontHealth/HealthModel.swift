/// What a shopper does; each flow is routed, measured and judged on its own.
public enum Flow: String, Sendable, CaseIterable, Comparable {
    case browse, cart, checkout
    case orderHistory = "order_history"

    public static func < (lhs: Self, rhs: Self) -> Bool { allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)! }
}

/// The shape of a region's health: its signals, and the signals each flow depends on.
///
/// A flow depends on signals rather than whole components so that a database that still reads but can no
/// longer write fails checkout while browsing stays up.
public struct HealthModel: Sendable {
    public let region: String
    public let peers: [String]
    public let signals: [SignalID]
    public let dependencies: [Flow: [SignalID]]

    public init(region: String, catalogHome: String, peers: [String]) {
        self.region = region
        self.peers = peers.sorted()
        let replication = self.peers.flatMap { [SignalID.replicationLag($0), .subscription($0)] }
        signals =
            [.databaseRead, .databaseWrite, .poolWait] + replication + self.peers.map(SignalID.peerLive)
            + Flow.allCases.flatMap { [SignalID.errorRatio($0), .p99($0)] }
        var dependencies: [Flow: [SignalID]] = [:]
        for flow in Flow.allCases {
            let api = [SignalID.errorRatio(flow), .p99(flow)]
            dependencies[flow] =
                switch flow {
                // The catalog is written in its home region and reaches the others by replication.
                case .browse: [.databaseRead, .poolWait] + api + replication.filter { $0.subject == catalogHome }
                // Carts and orders from other regions arrive by replication, and this region's orders leave by it:
                // while it is broken, an order placed here lives in one region only.
                case .cart, .checkout: [.databaseRead, .databaseWrite, .poolWait] + api + replication
                case .orderHistory: [.databaseRead, .poolWait] + api + replication
                }
        }
        self.dependencies = dependencies
    }

    public func flows(dependingOn signal: SignalID) -> [Flow] {
        Flow.allCases.filter { dependencies[$0]?.contains(signal) == true }
    }
}
