import Crypto
import Foundation

/// A checkout the shopper asked for, its fields checked (by the API that took them) and normalised.
public struct Checkout: Sendable, Hashable {
    public var cartID: UUID
    public var email: String
    public var shippingAddress: ShippingAddress

    public init(cartID: UUID, email: String, shippingAddress: ShippingAddress) {
        self.cartID = cartID
        self.email = email
        self.shippingAddress = shippingAddress
    }

    /// A digest of everything the request asks for, and of who asks (the cart token): an idempotency key
    /// replays only for the same request from the same shopper.
    public func fingerprint(cartToken: AccessToken) -> [UInt8] {
        var hash = SHA256()
        for part in [
            cartID.uuidString, email, shippingAddress.name, shippingAddress.line1, shippingAddress.line2 ?? "",
            shippingAddress.city, shippingAddress.postalCode, shippingAddress.country, cartToken.value,
        ] {
            hash.update(data: Data(part.utf8))
            hash.update(data: Data([0]))
        }
        return Array(hash.finalize())
    }
}

/// One @, something on both sides, a dot in the domain, no spaces: the rest is the mail server's business.
public func isPlausibleEmail(_ email: String) -> Bool {
    let parts = email.split(separator: "@", omittingEmptySubsequences: false)
    guard (3...254).contains(email.utf8.count), parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else { return false }
    let domain = parts[1]
    guard domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..") else { return false }
    return !email.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || "<>()[],;:\\\"".unicodeScalars.contains($0) }
}

/// The officially assigned ISO 3166-1 alpha-2 codes.
public let countryCodes: Set<String> = Set(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO \
    FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE \
    JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO \
    MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW \
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM \
    TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split(separator: " ").map(String.init)
)
