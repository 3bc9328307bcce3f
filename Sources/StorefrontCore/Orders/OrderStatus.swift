/// Where an order is in its life. The only way to change it is an ``OrderEvent`` that this machine allows.
public enum OrderStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case placed, paid, shipped, delivered, cancelled

    /// The status after `event`, or nil when the event is not allowed in this status.
    public func applying(_ event: OrderEvent) -> OrderStatus? {
        switch (self, event) {
        case (.placed, .pay): .paid
        case (.paid, .ship): .shipped
        case (.shipped, .deliver): .delivered
        case (.placed, .cancel), (.paid, .cancel): .cancelled
        default: nil
        }
    }

    /// The statuses from which `event` is allowed: what a conditional UPDATE may match.
    public static func sources(of event: OrderEvent) -> [OrderStatus] {
        allCases.filter { $0.applying(event) != nil }
    }
}

/// Something that happens to an order: the shopper cancels it, the warehouse ships it, …
public enum OrderEvent: String, Sendable, Hashable, Codable, CaseIterable {
    case pay, ship, deliver, cancel

    /// The event that leads to `status`, for admin calls that name the status they want.
    public static func leading(to status: OrderStatus) -> OrderEvent? {
        switch status {
        case .paid: .pay
        case .shipped: .ship
        case .delivered: .deliver
        case .cancelled: .cancel
        case .placed: nil
        }
    }

    /// Whether the event gives the order's units back to the region's stock.
    public var restoresStock: Bool { self == .cancel }
}
