import Foundation
import Synchronization

/// The catalog as a run sees it, sampled once before the run: products, their SKUs in stock, brands and
/// categories, the hot SKUs; and the orders the run's checkouts placed, for order lookups.
final class CatalogSample: Sendable {
    let productIDs: [String]
    let skus: [String]
    let hotSKUs: [String]
    let brands: [String]
    let categories: [String]
    private let orders = Mutex<[(id: String, token: String)]>([])
    static let ordersKept = 1000

    init(productIDs: [String], skus: [String], hotSKUs: [String], brands: [String], categories: [String]) {
        self.productIDs = productIDs
        self.skus = skus
        self.hotSKUs = hotSKUs
        self.brands = brands
        self.categories = categories
    }

    func placed(_ order: (id: String, token: String)) {
        orders.withLock { orders in
            if orders.count == Self.ordersKept { orders.removeFirst() }
            orders.append(order)
        }
    }

    func anOrder(_ draw: Double) -> (id: String, token: String)? {
        orders.withLock { $0.isEmpty ? nil : $0[Int(draw * Double($0.count)) % $0.count] }
    }
}
