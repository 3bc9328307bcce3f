import Foundation

/// An order by its id and home region.
public struct OrderReference: Sendable, Hashable {
    public var id: UUID
    public var region: Region

    public init(id: UUID, region: Region) {
        self.id = id
        self.region = region
    }
}

/// A checkout that became orders in two regions (the home's, and one placed by a region that adopted the
/// cart while the home was away), resolved: the earliest order stands, this one was superseded.
public struct OrderReconciliation: Sendable, Hashable {
    public var order: OrderReference
    public var standing: OrderReference
    /// The superseded order's status after reconciliation: `cancelled`, unless it had already shipped and
    /// is left to an operator.
    public var status: OrderStatus
    public var reconciledAt: Date

    public init(order: OrderReference, standing: OrderReference, status: OrderStatus, reconciledAt: Date) {
        self.order = order
        self.standing = standing
        self.status = status
        self.reconciledAt = reconciledAt
    }
}
