import Foundation
import StorefrontCore

/// What `POST /v1/orders` takes. Everything optional so that validation can name every missing field.
struct CheckoutRequest: Decodable {
    var cartId: String?
    var email: String?
    var shippingAddress: ShippingAddress?

    /// The checkout with its text fields trimmed and checked; throws `.invalidRequest` naming every bad
    /// field at once, by its name in the body.
    func validated() throws(StorefrontError) -> Checkout {
        var errors: [FieldError] = []
        let id = cartId.flatMap(UUID.init(uuidString:))
        if id == nil { errors.append(FieldError(field: "cart_id", detail: "must be the id of a cart")) }

        let email = (email ?? "").trimmingWhitespace()
        if !isPlausibleEmail(email) { errors.append(FieldError(field: "email", detail: "must be an email address")) }

        var address = shippingAddress ?? ShippingAddress(name: "", line1: "", city: "", postalCode: "", country: "")
        address.name = address.name.trimmingWhitespace()
        address.line1 = address.line1.trimmingWhitespace()
        address.line2 = address.line2?.trimmingWhitespace()
        if address.line2?.isEmpty == true { address.line2 = nil }
        address.city = address.city.trimmingWhitespace()
        address.postalCode = address.postalCode.trimmingWhitespace()
        address.country = address.country.trimmingWhitespace().uppercased()
        func check(_ value: String?, _ field: String, _ range: ClosedRange<Int>) {
            guard let value else { return }
            if !range.contains(value.count) || value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                errors.append(
                    FieldError(field: "shipping_address.\(field)", detail: "must be \(range.lowerBound)-\(range.upperBound) characters of text")
                )
            }
        }
        check(address.name, "name", 1...100)
        check(address.line1, "line1", 1...200)
        check(address.line2, "line2", 1...200)
        check(address.city, "city", 1...100)
        check(address.postalCode, "postal_code", 1...20)
        if !countryCodes.contains(address.country) {
            errors.append(FieldError(field: "shipping_address.country", detail: "must be an ISO 3166-1 alpha-2 code, such as US or DE"))
        }
        guard errors.isEmpty, let id else { throw .invalidRequest(errors) }
        return Checkout(cartID: id, email: email, shippingAddress: address)
    }
}
