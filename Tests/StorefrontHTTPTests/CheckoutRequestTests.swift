import Foundation
import StorefrontCore
import Testing

@testable import StorefrontHTTP

/// A checkout body is checked as a whole: every bad field is named at once, by its name on the wire.
@Suite struct CheckoutRequestTests {
    let address = ShippingAddress(
        name: " Ada Lovelace ",
        line1: "12 St James's Square",
        line2: "  ",
        city: "London",
        postalCode: "SW1Y 4JH",
        country: "gb"
    )

    @Test func aGoodRequestIsTrimmedAndNormalised() throws {
        let request = try CheckoutRequest(cartId: UUID().uuidString, email: " ada@example.org ", shippingAddress: address).validated()
        #expect(request.email == "ada@example.org")
        #expect(request.shippingAddress.name == "Ada Lovelace")
        #expect(request.shippingAddress.line2 == nil)
        #expect(request.shippingAddress.country == "GB")
    }

    @Test func everyBadFieldIsReported() {
        let bad = ShippingAddress(name: "", line1: String(repeating: "x", count: 201), city: "Paris\u{7}", postalCode: "", country: "XX")
        do {
            _ = try CheckoutRequest(cartId: "nope", email: "not-an-email", shippingAddress: bad).validated()
            Issue.record("accepted")
        } catch let StorefrontError.invalidRequest(errors) {
            #expect(
                Set(errors.map(\.field)) == [
                    "cart_id", "email", "shipping_address.name", "shipping_address.line1", "shipping_address.city",
                    "shipping_address.postal_code", "shipping_address.country",
                ]
            )
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aMissingAddressNamesItsFields() {
        let error = #expect(throws: StorefrontError.self) {
            try CheckoutRequest(cartId: UUID().uuidString, email: "a@b.co", shippingAddress: nil).validated()
        }
        guard case .invalidRequest(let fields) = error else {
            Issue.record("not a field-by-field refusal: \(String(describing: error))")
            return
        }
        // Every required part of the address, and nothing the request got right.
        #expect(
            Set(fields.map(\.field)) == [
                "shipping_address.name", "shipping_address.line1", "shipping_address.city", "shipping_address.postal_code",
                "shipping_address.country",
            ]
        )
    }
}
