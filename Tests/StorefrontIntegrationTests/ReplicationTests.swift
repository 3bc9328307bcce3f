import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import StorefrontApp
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport
import Testing

/// Three regions on three real PostgreSQL clusters, replicating with PostgreSQL's logical replication.
/// Serialized: each test runs three clusters' worth of work on two cores. A hung test fails after its
/// time limit instead of stalling the whole run.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ReplicationTests {
    static let east = try! Region("us-east")
    static let west = try! Region("eu-west")
    static let south = try! Region("ap-southeast")
    let sku = CatalogGenerator().product(3).variants[0].sku

    /// Gives the region stock of the SKU, opens a cart there, puts one pair in, checks out.
    func placeOrder(_ client: any TestClientProtocol, sku: String) async throws -> (id: String, token: String) {
        let shopper = Shopper(client: client)
        try await shopper.setStock(sku, 1_000)
        let cart = try await shopper.openCart()
        try await shopper.set(sku, quantity: 1, in: cart)
        let response = try await shopper.checkout(cart)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        let body = try response.json()
        return (try #require(body["id"] as? String), try #require(body["order_token"] as? String))
    }

    func orderCount(_ regions: ReplicatedRegions, in region: Region, homedIn home: Region) async throws -> Int {
        try await regions.count("SELECT count(*) FROM orders WHERE region = \(home.name)", in: region)
    }

    @Test func anOrderPlacedInEachRegionReachesTheOtherTwo() async throws {
        let sku = sku
        try await ReplicatedRegions.withRegions { regions async throws in
            try await withRegionApps(regions) { apps in
                var lags: [String] = []
                for region in regions.regions {
                    let order = try await placeOrder(apps[region]!, sku: sku)
                    let placedAt = ContinuousClock.now
                    for other in regions.regions where other != region {
                        try await waitUntil("order \(order.id) from \(region) reached \(other)") {
                            try await regions.count("SELECT count(*) FROM orders WHERE id = \(UUID(uuidString: order.id)!)", in: other) == 1
                        }
                    }
                    lags.append("\(region) \(ContinuousClock.now - placedAt)")
                    // Read where it was not placed: from the replica, naming its home and the replica's age.
                    for other in regions.regions where other != region {
                        let read = try await Shopper(client: apps[other]!).order(order.id, token: order.token)
                        #expect(read.status == .ok)
                        let body = try read.json()
                        #expect(body["region"] as? String == region.name)
                        #expect(body["replica_age_seconds"] is Double)
                        #expect(try await Shopper(client: apps[other]!).cancel(order.id, token: order.token).isProblem("homed-elsewhere"))
                    }
                }
                print("order visible in both other regions (placement + replication): \(lags.joined(separator: ", "))")
                #expect(try await regions.replicationProblems() == [])
            }
        }
    }

    @Test func theGuardStopsForeignWritesAndLetsReplicationThrough() async throws {
        let sku = sku
        try await ReplicatedRegions.withRegions { regions async throws in
            try await withRegionApps(regions) { apps in
                let id = try #require(UUID(uuidString: try await placeOrder(apps[Self.east]!, sku: sku).id))
                try await waitUntil("the order reached eu-west") {
                    try await regions.count("SELECT count(*) FROM orders WHERE id = \(id)", in: Self.west) == 1
                }
                try await PostgresClient.withRunning(regions.appURL(Self.west), logger: ReplicatedRegions.logger) { app async throws in
                    await #expect(throws: PSQLError.self) { try await app.rows("UPDATE orders SET status = 'paid' WHERE id = \(id)") }
                    await #expect(throws: PSQLError.self) { try await app.rows("DELETE FROM order_lines WHERE order_id = \(id)") }
                    await #expect(throws: PSQLError.self) {
                        try await app.run("INSERT INTO heartbeats (region, beat_at, sequence) VALUES ('us-east', now(), 1)")
                    }
                    await #expect(throws: PSQLError.self) {
                        try await app.run("UPDATE stock SET region = 'us-east' WHERE region = 'eu-west'")
                    }
                    await #expect(throws: PSQLError.self) { try await app.rows("UPDATE variants SET price_amount = 1") }
                    await #expect(throws: PSQLError.self) { try await app.rows("TRUNCATE stock") }
                    await #expect(throws: PSQLError.self) { try await app.rows("INSERT INTO catalog_home (region) VALUES ('eu-west')") }
                }
                #expect(try await regions.count("SELECT count(*) FROM orders WHERE id = \(id) AND status = 'placed'", in: Self.west) == 1)

                // The home region still changes its row, and the change replicates through the guard.
                let admin = Shopper(client: apps[Self.east]!)
                #expect(try await admin.admin(.post, "/v1/admin/orders/\(id)/status", body: #"{"status": "paid"}"#).status == .ok)
                try await waitUntil("the paid status reached eu-west") {
                    try await regions.count("SELECT count(*) FROM orders WHERE id = \(id) AND status = 'paid'", in: Self.west) == 1
                }
                #expect(try await regions.replicationProblems() == [])
            }
        }
    }

    @Test func whileARegionIsDownTheOthersTakeOrdersAndAllConvergeWhenItReturns() async throws {
        let sku = sku
        try await ReplicatedRegions.withRegions { regions async throws in
            try await regions.crash(Self.south)
            try await withRegionApps(regions, only: [Self.east, Self.west]) { apps in
                for region in [Self.east, Self.west] { try await Shopper(client: apps[region]!).setStock(sku, 1_000) }
                var statuses: [Int] = []
                for _ in 0..<10 {
                    for region in [Self.east, Self.west] {
                        let shopper = Shopper(client: apps[region]!)
                        let cart = try await shopper.openCart()
                        statuses.append(try await shopper.set(sku, quantity: 1, in: cart).status.code)
                        statuses.append(try await shopper.checkout(cart).status.code)
                    }
                }
                #expect(statuses.allSatisfy { $0 < 300 }, "\(statuses)")
                try await regions.start(Self.south)
                let converged = try await regions.waitForConvergence()
                print("ap-southeast converged \(converged) after its restart")
                #expect(try await orderCount(regions, in: Self.south, homedIn: Self.east) == 10)
                #expect(try await orderCount(regions, in: Self.south, homedIn: Self.west) == 10)
                #expect(try await regions.divergentTables() == [])
                #expect(try await regions.replicationProblems() == [])
            }
        }
    }

    @Test func ordersAcknowledgedRightBeforeACrashReachTheOthersAfterTheRestart() async throws {
        let sku = sku
        try await ReplicatedRegions.withRegions { regions async throws in
            // Stop the peers from receiving first, so the orders exist only in eu-west when it crashes.
            try await regions.crash(Self.east)
            try await regions.crash(Self.south)
            let acknowledged = try await withRegionApps(regions, only: [Self.west]) { apps in
                let shopper = Shopper(client: apps[Self.west]!)
                try await shopper.setStock(sku, 1_000)
                var acknowledged: [String] = []
                for _ in 0..<20 {
                    let cart = try await shopper.openCart()
                    try await shopper.set(sku, quantity: 1, in: cart)
                    let response = try await shopper.checkout(cart)
                    if response.status == .created { acknowledged.append(try response.json().value("id", as: String.self)) }
                }
                return acknowledged
            }
            #expect(acknowledged.count == 20)
            try await regions.crash(Self.west)
            for region in regions.regions { try await regions.start(region) }
            let converged = try await regions.waitForConvergence()
            print("all regions converged \(converged) after eu-west crashed with 20 unreplicated orders")
            for region in [Self.east, Self.south] {
                let ids = acknowledged.compactMap(UUID.init(uuidString:))
                #expect(try await regions.count("SELECT count(*) FROM orders WHERE id = ANY(\(ids))", in: region) == 20)
            }
            #expect(try await regions.replicationProblems() == [])
        }
    }

    /// A transfer whose variant has not reached this region yet waits, and the transfers behind it go on.
    @Test func aTransferThatCannotBeCreditedYetHoldsUpNoOther() async throws {
        let sku = sku
        try await ReplicatedRegions.withRegions { regions async throws in
            let waiting = UUID()
            let next = UUID()
            // As if replicated from eu-west: written with triggers and foreign keys off, as the apply worker does.
            try await regions.asAdmin(Self.east) { client async throws in
                try await client.transaction(logger: ReplicatedRegions.logger) { connection in
                    try await connection.run("SET LOCAL session_replication_role = replica")
                    try await connection.run(
                        """
                        INSERT INTO stock_transfers (region, id, sku, to_region, quantity, created_at)
                        VALUES ('eu-west', \(waiting), 'NOT-HERE-YET', 'us-east', 3, now() - interval '1 minute'),
                               ('eu-west', \(next), \(sku), 'us-east', 4, now())
                        """
                    )
                }
            }
            @Sendable func available() async throws -> Int {
                try await regions.count("SELECT available::int8 FROM stock WHERE region = 'us-east' AND sku = \(sku)", in: Self.east)
            }
            let before = try await available()
            let received = try await PostgresClient.withRunning(regions.appURL(Self.east), logger: ReplicatedRegions.logger) { client async throws in
                try await PostgresStockStore(client: client, region: Self.east, catalogHome: Self.east, logger: ReplicatedRegions.logger)
                    .receiveTransfers()
            }
            #expect(received == 1)
            #expect(try await available() == before + 4)
            #expect(try await regions.count("SELECT count(*) FROM stock_transfer_receipts WHERE transfer_id = \(waiting)", in: Self.east) == 0)
        }
    }

    @Test func aStockTransferInterruptedByACrashCompletesExactlyOnce() async throws {
        let sku = sku
        try await ReplicatedRegions.withRegions { regions async throws in
            @Sendable func available(_ region: Region) async throws -> Int {
                try await regions.count(
                    "SELECT coalesce(sum(available), 0)::int8 FROM stock WHERE region = \(region.name) AND sku = \(sku)",
                    in: region
                )
            }
            try await withRegionApps(regions, only: [Self.west]) { apps in try await Shopper(client: apps[Self.west]!).setStock(sku, 5) }
            // us-east knows eu-west once eu-west's heartbeat has arrived: a transfer goes only to a region heard from.
            try await waitUntil("eu-west's heartbeat reached us-east") {
                try await regions.count("SELECT count(*) FROM heartbeats WHERE region = 'eu-west'", in: Self.east) == 1
            }
            // The destination is down when the transfer is sent: it must credit it after its restart.
            try await regions.crash(Self.west)
            let id = try await withRegionApps(regions, only: [Self.east]) { apps in
                let admin = Shopper(client: apps[Self.east]!)
                try await admin.setStock(sku, 30)
                let transfer = #"{"sku": "\#(sku)", "from": "us-east", "to": "eu-west", "quantity": 12}"#
                #expect(try await admin.admin(.post, "/v1/admin/stock/transfers", body: transfer).isProblem("invalid-request"))
                let sent = try await admin.admin(.post, "/v1/admin/stock/transfers", body: transfer, idempotencyKey: "move-12")
                #expect(sent.status == .accepted)
                // The answer lost and the call retried: the same transfer, the units moved once.
                let retried = try await admin.admin(.post, "/v1/admin/stock/transfers", body: transfer, idempotencyKey: "move-12")
                #expect(retried.status == .accepted)
                #expect(try retried.json()["id"] as? String == sent.json()["id"] as? String)
                #expect(try await available(Self.east) == 18)
                let other = #"{"sku": "\#(sku)", "from": "us-east", "to": "eu-west", "quantity": 2}"#
                #expect(
                    try await admin.admin(.post, "/v1/admin/stock/transfers", body: other, idempotencyKey: "move-12").isProblem(
                        "idempotency-key-reused"
                    )
                )
                // Sent to the wrong region, or more than there is: refused, nothing moves.
                #expect(
                    try await admin.admin(
                        .post,
                        "/v1/admin/stock/transfers",
                        body: #"{"sku": "\#(sku)", "from": "eu-west", "to": "us-east", "quantity": 1}"#,
                        idempotencyKey: "k1"
                    ).isProblem("homed-elsewhere")
                )
                #expect(
                    try await admin.admin(
                        .post,
                        "/v1/admin/stock/transfers",
                        body: #"{"sku": "\#(sku)", "from": "us-east", "to": "eu-west", "quantity": 99}"#,
                        idempotencyKey: "k2"
                    ).isProblem("out-of-stock")
                )
                // A region that never replicated with this one would strand the units for good.
                #expect(
                    try await admin.admin(
                        .post,
                        "/v1/admin/stock/transfers",
                        body: #"{"sku": "\#(sku)", "from": "us-east", "to": "mars-north", "quantity": 1}"#,
                        idempotencyKey: "k3"
                    ).isProblem("invalid-request")
                )
                #expect(try await available(Self.east) == 18)
                return try #require(try sent.json()["id"] as? String)
            }
            try await regions.start(Self.west)
            try await withRegionApps(regions, only: [Self.west]) { _ in
                try await waitUntil("eu-west credited the transfer", timeout: .seconds(60)) { try await available(Self.west) == 17 }
            }
            try await regions.waitForConvergence()
            try await withRegionApps(regions, only: [Self.east]) { apps in
                let status = try await Shopper(client: apps[Self.east]!).admin(.get, "/v1/admin/stock/transfers/\(id)").json()
                #expect(status["status"] as? String == "received")
            }
            // Crediting again finds nothing to do.
            try await PostgresClient.withRunning(regions.appURL(Self.west), logger: ReplicatedRegions.logger) { client async throws in
                let store = PostgresStockStore(client: client, region: Self.west, catalogHome: Self.east, logger: ReplicatedRegions.logger)
                #expect(try await store.receiveTransfers() == 0)
            }
            #expect(try await available(Self.west) == 17)
            // Nothing was created or lost on the way: 30 + 5 before, 18 + 17 after.
            #expect(try await available(Self.east) + available(Self.west) == 30 + 5)
            #expect(try await regions.replicationProblems() == [])
        }
    }

    @Test func aForeignCartIsReadFromTheReplicaAndAdoptedOnChange() async throws {
        let sku = sku
        let other = CatalogGenerator().product(4).variants[0].sku
        try await ReplicatedRegions.withRegions { regions async throws in
            let cart = try await withRegionApps(regions, only: [Self.east]) { apps in
                let east = Shopper(client: apps[Self.east]!)
                let cart = try await east.openCart()
                try await east.set(sku, quantity: 2, in: cart)
                return cart
            }
            try await waitUntil("the cart reached eu-west") {
                try await regions.count("SELECT count(*) FROM cart_items WHERE cart_id = \(UUID(uuidString: cart.id)!)", in: Self.west) == 1
            }
            try await regions.crash(Self.east)

            let newID = try await withRegionApps(regions, only: [Self.west]) { apps in
                let west = Shopper(client: apps[Self.west]!)
                try await west.setStock(sku, 10)
                try await west.setStock(other, 10)
                let read = try await west.cart(cart)
                #expect(read.status == .ok)
                let body = try read.json()
                #expect(body["region"] as? String == "us-east")
                #expect(body["replica_age_seconds"] is Double)
                #expect((body["items"] as? [[String: Any]])?.first?["quantity"] as? Int == 2)
                #expect(try await west.cart(Shopper.OpenedCart(id: cart.id, token: "wrong")).status == .notFound)

                let changed = try await west.set(other, quantity: 1, in: cart)
                #expect(changed.status == .ok)
                let adopted = try changed.json()
                let newID = try #require(adopted["id"] as? String)
                #expect(newID != cart.id)
                #expect(adopted["region"] as? String == "eu-west")
                #expect(adopted["adopted_from"] as? String == cart.id)
                #expect(adopted["token"] as? String == cart.token)
                #expect(changed.headers[.location] == "/v1/carts/\(newID)")
                #expect(try Set(adopted.value("items", as: [[String: Any]].self).map { try $0.value("sku", as: String.self) }) == [sku, other])
                // The old id keeps leading to the adopted cart here.
                #expect(try await west.set(other, quantity: 2, in: cart).json()["id"] as? String == newID)

                #expect(try await west.checkout(Shopper.OpenedCart(id: newID, token: cart.token)).status == .created)
                #expect(try await regions.count("SELECT available FROM stock WHERE region = 'eu-west' AND sku = \(sku)", in: Self.west) == 8)
                #expect(try await regions.count("SELECT count(*) FROM carts WHERE region = 'us-east'", in: Self.west) == 1)
                return newID
            }

            try await regions.start(Self.east)
            try await regions.waitForConvergence()
            try await withRegionApps(regions, only: [Self.east]) { apps in
                // Back home, the old cart refuses changes and says where it went.
                let east = Shopper(client: apps[Self.east]!)
                let refused = try await east.set(sku, quantity: 3, in: cart)
                #expect(refused.isProblem("cart-adopted"))
                #expect((try refused.json()["adopted_by"] as? [String: Any])?["cart_id"] as? String == newID)
                #expect(try await east.checkout(cart).isProblem("cart-adopted"))
            }
            #expect(try await regions.replicationProblems() == [])
        }
    }

    /// A resync deletes the region's copy of the catalog home's rows, catalog included, and copies them
    /// again: the region is drained for it, so it never answers ready with an empty catalog.
    /// A peer whose database is a Patroni pair keeps its subscribers' slots as permanent ones, and makes one
    /// again when a resync drops it: a new subscription takes up the slot it finds, and the rows it holds
    /// arrive once.
    @Test func aNewSubscriptionTakesUpTheSlotItsPeerKeeps() async throws {
        let sku = sku
        try await ReplicatedRegions.withRegions { regions async throws in
            let topology = try regions.topology(Self.west)
            let name = topology.subscription(to: Self.south)
            // eu-west's subscription to ap-southeast gone, its slot kept there, and eu-west's copy of
            // ap-southeast's rows deleted: a resync halfway, as Patroni would leave it.
            try await regions.asAdmin(Self.west) { admin in
                try await admin.run("ALTER SUBSCRIPTION \(unescaped: name) DISABLE")
                try await admin.run("ALTER SUBSCRIPTION \(unescaped: name) SET (slot_name = NONE)")
                try await admin.run("DROP SUBSCRIPTION \(unescaped: name)")
                try await admin.transaction(logger: ReplicatedRegions.logger) { connection in
                    try await connection.run("SET LOCAL session_replication_role = replica", logger: ReplicatedRegions.logger)
                    for table in ReplicationTopology.ownedTables.reversed() {
                        try await connection.run(
                            "DELETE FROM \(unescaped: table) WHERE region = \(Self.south.name)",
                            logger: ReplicatedRegions.logger
                        )
                    }
                }
            }
            // A change the kept slot holds for eu-west.
            let order = try await withRegionApps(regions, only: [Self.south]) { apps in try await placeOrder(apps[Self.south]!, sku: sku) }
            try await regions.asAdmin(Self.west) { admin in
                try await ReplicationSetup(
                    client: admin,
                    topology: topology,
                    replicatorRole: "storefront_replicator",
                    logger: ReplicatedRegions.logger
                )
                .run()
            }
            try await regions.waitForConvergence()
            #expect(try await regions.count("SELECT count(*) FROM orders WHERE id = \(UUID(uuidString: order.id)!)", in: Self.west) == 1)
            let slots = try await regions.asAdmin(Self.south) { admin in
                try await admin.rows("SELECT count(*) FROM pg_replication_slots WHERE slot_name = \(topology.slot(from: Self.south)) AND active")
                    .map { try $0.decode(Int.self) }
            }
            #expect(slots == [1], "the kept slot, in use")
            #expect(try await regions.replicationProblems() == [])
        }
    }

    @Test func aResyncKeepsTheRegionOutOfRotationUntilItsCatalogIsBack() async throws {
        try await ReplicatedRegions.withRegions { regions async throws in
            let variants = try await regions.count("SELECT count(*) FROM variants", in: Self.west)
            let topology = try regions.topology(Self.west)
            let peer = try #require(topology.peers.first { $0.region == ReplicatedRegions.catalogHome })
            try await withLiveRegionApp(regions, Self.west) { client, port in
                let sampler = Task {
                    var samples: [(ready: Bool, variants: Int)] = []
                    while !Task.isCancelled {
                        // Readiness first: a drain always comes before the rows go.
                        guard let ready = try? await client.get("/health/ready").status == .ok,
                            let count = try? await regions.count("SELECT count(*) FROM variants", in: Self.west)
                        else { continue }
                        samples.append((ready, count))
                    }
                    return samples
                }
                try await regions.asAdmin(Self.west) { admin in
                    let setup = try ReplicationSetup(
                        client: admin,
                        topology: topology,
                        replicatorRole: "storefront_replicator",
                        logger: ReplicatedRegions.logger
                    )
                    try await DrainedResync(
                        regionURL: "http://127.0.0.1:\(port)",
                        adminToken: Shopper.adminToken,
                        settle: .seconds(1),
                        logger: ReplicatedRegions.logger
                    )
                    .run(setup, peer: peer) { trace($0) }
                }
                try await waitUntil("the region is ready again") { try await client.get("/health/ready").status == .ok }
                sampler.cancel()
                let samples = await sampler.value
                trace(
                    "\(samples.count) samples, \(samples.filter { !$0.ready }.count) drained, fewest variants seen \(samples.map(\.variants).min() ?? -1)"
                )
                #expect(samples.contains { !$0.ready }, "the region was never drained")
                #expect(
                    !samples.contains { $0.ready && $0.variants < variants },
                    "ready with \(samples.filter { $0.ready }.map(\.variants).min() ?? variants) of \(variants) variants"
                )
                #expect(try await regions.count("SELECT count(*) FROM variants", in: Self.west) == variants)
                #expect(try await client.get("/v1/products?limit=1").status == .ok)
            }
            #expect(try await regions.replicationProblems() == [])
        }
    }

    @Test func theCatalogIsWrittenInItsHomeAndReadEverywhere() async throws {
        let sku = sku
        try await ReplicatedRegions.withRegions { regions async throws in
            try await withRegionApps(regions) { apps in
                let body = #"{"price": {"amount": 4242, "currency": "USD"}}"#
                let refused = try await Shopper(client: apps[Self.west]!).admin(.put, "/v1/admin/variants/\(sku)/price", body: body)
                #expect(refused.isProblem("homed-elsewhere"))
                #expect(try refused.json()["home_region"] as? String == "us-east")
                #expect(try await Shopper(client: apps[Self.east]!).admin(.put, "/v1/admin/variants/\(sku)/price", body: body).status == .noContent)
                let product = CatalogGenerator().product(3).id.uuidString.lowercased()
                for region in regions.regions {
                    try await waitUntil("\(region) shows the new price") {
                        let page = try await apps[region]!.get("/v1/products/\(product)").json()
                        let variant = (page["variants"] as? [[String: Any]])?.first { $0["sku"] as? String == sku }
                        return (variant?["price"] as? [String: Any])?["amount"] as? Int == 4242
                    }
                }
                #expect(try await regions.replicationProblems() == [])
            }
        }
    }

    @Test func anAdditiveMigrationRollsOutAcrossRunningRegions() async throws {
        let sku = sku
        try await ReplicatedRegions.withRegions { regions async throws in
            try await withRegionApps(regions) { apps in
                // The safe order: add the column where it is received first, then where it is written.
                for region in [Self.west, Self.south, Self.east] {
                    try await PostgresClient.withRunning(regions.ownerURL(region), logger: ReplicatedRegions.logger) { owner async throws in
                        try await owner.run("ALTER TABLE orders ADD COLUMN gift_note text")
                    }
                }
                let id = try await placeOrder(apps[Self.east]!, sku: sku).id
                try await PostgresClient.withRunning(regions.ownerURL(Self.east), logger: ReplicatedRegions.logger) { owner async throws in
                    try await owner.run("UPDATE orders SET gift_note = 'for Ada' WHERE id = \(UUID(uuidString: id)!)")
                }
                for region in [Self.west, Self.south] {
                    try await waitUntil("the gift note reached \(region)") {
                        try await regions.count("SELECT count(*) FROM orders WHERE gift_note = 'for Ada'", in: region) == 1
                    }
                }
                #expect(try await regions.replicationProblems() == [])
            }
        }
    }
}
