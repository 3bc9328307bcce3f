import Foundation
import Testing

@testable import StorefrontCore

@Suite struct OrderStatusTests {
    /// Every (status, event) pair and what it must lead to; nil means refused.
    static let table: [(OrderStatus, OrderEvent, OrderStatus?)] = [
        (.placed, .pay, .paid), (.placed, .ship, nil), (.placed, .deliver, nil), (.placed, .cancel, .cancelled),
        (.paid, .pay, nil), (.paid, .ship, .shipped), (.paid, .deliver, nil), (.paid, .cancel, .cancelled),
        (.shipped, .pay, nil), (.shipped, .ship, nil), (.shipped, .deliver, .delivered), (.shipped, .cancel, nil),
        (.delivered, .pay, nil), (.delivered, .ship, nil), (.delivered, .deliver, nil), (.delivered, .cancel, nil),
        (.cancelled, .pay, nil), (.cancelled, .ship, nil), (.cancelled, .deliver, nil), (.cancelled, .cancel, nil),
    ]

    @Test func theTableCoversEveryPair() {
        #expect(Self.table.count == OrderStatus.allCases.count * OrderEvent.allCases.count)
        #expect(Set(Self.table.map { "\($0.0)-\($0.1)" }).count == Self.table.count)
    }

    @Test(arguments: table)
    func everyStatusAndEvent(status: OrderStatus, event: OrderEvent, expected: OrderStatus?) {
        #expect(status.applying(event) == expected)
    }

    @Test func sourcesAreExactlyTheStatusesThatAllowTheEvent() {
        #expect(OrderStatus.sources(of: .cancel) == [.placed, .paid])
        #expect(OrderStatus.sources(of: .ship) == [.paid])
    }

    @Test func adminTargetsMapToTheirEvents() {
        #expect(OrderEvent.leading(to: .paid) == .pay)
        #expect(OrderEvent.leading(to: .placed) == nil)
        for status in OrderStatus.allCases {
            if let event = OrderEvent.leading(to: status) {
                #expect(OrderStatus.sources(of: event).allSatisfy { $0.applying(event) == status })
            }
        }
    }
}

@Suite struct CheckoutValueTests {
    let address = ShippingAddress(
        name: " Ada Lovelace ",
        line1: "12 St James's Square",
        line2: "  ",
        city: "London",
        postalCode: "SW1Y 4JH",
        country: "gb"
    )

    @Test(arguments: ["a@b.co", "first.last+tag@shop.example.com"])
    func plausibleEmails(email: String) { #expect(isPlausibleEmail(email)) }

    @Test(arguments: ["", "a", "a@b", "@b.co", "a@.co", "a@b.co.", "a b@c.de", "a@b@c.de", "a<b>@c.de", "a@b..co"])
    func implausibleEmails(email: String) { #expect(!isPlausibleEmail(email)) }

    @Test func theFingerprintCoversTheBodyAndTheCartToken() throws {
        let request = Checkout(cartID: UUID(), email: "a@b.co", shippingAddress: address)
        var other = request
        other.email = "b@b.co"
        let token = AccessToken.generate()
        #expect(request.fingerprint(cartToken: token) == request.fingerprint(cartToken: token))
        #expect(request.fingerprint(cartToken: token) != other.fingerprint(cartToken: token))
        #expect(request.fingerprint(cartToken: token) != request.fingerprint(cartToken: .generate()))
    }

    @Test func tokensAreLongRandomAndOnlyTheirDigestIsKept() {
        let first = AccessToken.generate()
        #expect(first.value.count >= 43)
        #expect(first != AccessToken.generate())
        #expect(first.digest.count == 32 && first.digest != Array(first.value.utf8))
        #expect(AccessToken(header: "has space") == nil && AccessToken(header: "") == nil && AccessToken(header: nil) == nil)
    }
}
