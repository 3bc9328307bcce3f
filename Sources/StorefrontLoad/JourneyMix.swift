/// The shopper journeys a run draws from, with their weights: `browse=60,cart=25,checkout=10,orders=5`.
public struct JourneyMix: Sendable, Equatable, CustomStringConvertible {
    public enum Journey: String, CaseIterable, Sendable {
        /// A listing (with filters, a search or neither), a product page, sometimes brands or categories.
        case browse
        /// Open a cart, add a pair, change the quantity.
        case cart
        /// Open a cart, add a pair, check out with an Idempotency-Key.
        case checkout
        /// Read an order placed earlier in the run.
        case orders
    }

    public let weights: [(journey: Journey, weight: Int)]
    private let total: Int

    public static let `default` = try! JourneyMix("browse=70,cart=15,checkout=10,orders=5")

    public init(_ text: String) throws(LoadError) {
        var weights: [(Journey, Int)] = []
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard let journey = Journey(rawValue: pair[0]) else {
                throw .invalid("mix: '\(pair[0])' is not a journey (\(Journey.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let weight = pair.count == 2 ? Int(pair[1]) : 1
            guard let weight, (0...1_000_000).contains(weight) else { throw .invalid("mix: the weight of \(journey) must be 0 to 1000000") }
            guard !weights.contains(where: { $0.0 == journey }) else { throw .invalid("mix: \(journey) is listed twice") }
            weights.append((journey, weight))
        }
        total = weights.reduce(0) { $0 + $1.1 }
        guard total > 0 else { throw .invalid("mix: every weight is zero") }
        self.weights = weights
    }

    public func contains(_ journey: Journey) -> Bool { weights.contains { $0.journey == journey && $0.weight > 0 } }

    /// The journey for a draw in 0..<1.
    public func journey(at draw: Double) -> Journey {
        var point = draw * Double(total)
        for (journey, weight) in weights {
            point -= Double(weight)
            if point < 0 { return journey }
        }
        return weights.last { $0.weight > 0 }!.journey
    }

    public var description: String { weights.map { "\($0.journey.rawValue)=\($0.weight)" }.joined(separator: ",") }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.description == rhs.description }
}

/// Geographies to spread virtual shoppers over, each sent as `X-Client-Geo`: `US,DE,JP` or `US=50,DE=30,JP=20`.
public struct GeoMix: Sendable {
    public let codes: [(code: String, weight: Int)]

    public init(_ text: String) throws(LoadError) {
        var codes: [(String, Int)] = []
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair[0].count >= 2, pair[0].count <= 3, pair[0].allSatisfy({ $0.isLetter && $0.isASCII }) else {
                throw .invalid("geo: '\(pair[0])' is not an ISO 3166 country code or a continent code")
            }
            let weight = pair.count == 2 ? Int(pair[1]) : 1
            guard let weight, weight > 0 else { throw .invalid("geo: the weight of \(pair[0]) must be a positive whole number") }
            codes.append((pair[0].uppercased(), weight))
        }
        guard !codes.isEmpty else { throw .invalid("geo: no geography given") }
        self.codes = codes
    }

    public func code(at draw: Double) -> String {
        var point = draw * Double(codes.reduce(0) { $0 + $1.weight })
        for (code, weight) in codes {
            point -= Double(weight)
            if point < 0 { return code }
        }
        return codes.last!.code
    }
}
