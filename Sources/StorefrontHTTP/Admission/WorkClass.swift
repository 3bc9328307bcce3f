/// The classes of work a region bounds separately, so that a flood of one cannot starve the others: above
/// all, checkout keeps its share of the database when browsing floods.
public enum WorkClass: String, Sendable, CaseIterable {
    /// Answered from memory: product pages, brands, categories. A product page not in memory is read from
    /// the database as a `databaseRead` too.
    case memoryRead = "memory_read"
    /// A query per request: listings, searches, order reads.
    case databaseRead = "database_read"
    case cart
    case checkout
}
