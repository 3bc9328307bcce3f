import Foundation
import NIOCore
import StorefrontCore
import Testing

@testable import StorefrontHTTP

/// Carts and orders are written by hand for speed: they must stay the documents `JSONEncoder` makes of the
/// same bodies, with every optional field both present and absent.
@Suite struct CartOrderJSONTests {
    func object(_ buffer: ByteBuffer) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: buffer).utf8)) as? NSDictionary)
    }

    static let line = CartLine(
        sku: "RUN-BLA1-S425",
        quantity: 3,
        productID: UUID(),
        productName: "Quote \" backslash \\ newline \n tab \t é 👟 </script>",
        colour: "black",
        euSize: ShoeSize(tenths: 425),
        usSize: ShoeSize(tenths: 90),
        width: .wide,
        unitPrice: Money(amount: 12_999, currency: .usd),
        available: 2
    )

    static var carts: [Cart] {
        let now = Date(timeIntervalSince1970: 1_790_000_000.987_654)
        var empty = Cart(
            id: UUID(),
            region: try! Region("us-east"),
            status: .open,
            version: 1,
            lines: [],
            createdAt: now,
            updatedAt: now,
            expiresAt: now + 604_800
        )
        var full = empty
        full.lines = [
            line,
            CartLine(
                sku: "X",
                quantity: 1,
                productID: UUID(),
                productName: "X",
                colour: "red",
                euSize: ShoeSize(tenths: 400),
                usSize: ShoeSize(tenths: 70),
                width: .standard,
                unitPrice: Money(amount: 1, currency: .usd),
                available: 0
            ),
        ]
        full.status = .checkedOut
        full.adoptedFrom = UUID()
        full.replicaAge = 1.0
        empty.replicaAge = 0.012_345_678
        return [empty, full]
    }

    @Test(arguments: carts, [nil, AccessToken.generate()])
    func theWrittenCartIsTheEncodedOne(cart: Cart, token: AccessToken?) throws {
        let body = CartBody(cart, token: token)
        #expect(try object(body.encoded()) == object(JSON.encode(body)))
    }

    static var orders: [Order] {
        let now = Date(timeIntervalSince1970: 1_790_000_000.5)
        let address = ShippingAddress(
            name: "Ada \"Countess\" Lovelace",
            line1: "12 St James's Square",
            city: "London",
            postalCode: "SW1Y 4JH",
            country: "GB"
        )
        var plain = Order(
            id: UUID(),
            region: try! Region("eu-west"),
            cartID: UUID(),
            status: .placed,
            email: "ada@example.org",
            shippingAddress: address,
            lines: [OrderLine(line)],
            subtotal: Money(amount: 38_997, currency: .usd),
            createdAt: now,
            updatedAt: now
        )
        var replica = plain
        replica.shippingAddress.line2 = "Flat 3"
        replica.replicaAge = 2.5
        replica.status = .cancelled
        replica.supersededBy = OrderReference(id: UUID(), region: try! Region("us-east"))
        replica.lines.append(OrderLine(line))
        plain.updatedAt = now + 1
        return [plain, replica]
    }

    @Test(arguments: orders, [nil, AccessToken.generate()])
    func theWrittenOrderIsTheEncodedOne(order: Order, token: AccessToken?) throws {
        let body = OrderBody(order, token: token)
        #expect(try object(body.encoded()) == object(JSON.encode(body)))
    }
}

/// Problems too: every field present and absent.
@Suite struct ProblemJSONTests {
    static var problems: [Problem] {
        var full = Problem.from(StorefrontError.outOfStock([StockShortage(sku: "A", requested: 2, available: 1)]))
        full.errors = [FieldError(field: "email", detail: "must be \"plausible\"")]
        full.currentVersion = 7
        full.homeRegion = "eu-west"
        full.adoptedBy = Problem.AdoptedBy(region: "us-east", cartId: UUID().uuidString.lowercased())
        return [Problem(.notFound, detail: "There is no such cart."), full, Problem.from(StorefrontError.invalid("quantity", "must be 1-10"))]
    }

    @Test(arguments: problems)
    func theWrittenProblemIsTheEncodedOne(problem: Problem) throws {
        let written = try JSONSerialization.jsonObject(with: Data(String(buffer: problem.encoded()).utf8)) as? NSDictionary
        let encoded = try JSONSerialization.jsonObject(with: Data(String(buffer: try JSON.encode(problem)).utf8)) as? NSDictionary
        #expect(written != nil && written == encoded)
    }
}
