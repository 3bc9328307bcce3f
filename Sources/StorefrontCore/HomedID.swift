import Crypto
import Foundation

/// Ids that name the region they are homed in, so that any region can tell where a cart or an order lives
/// without a query, even before the row has replicated to it.
///
/// A homed id is a UUIDv8 (RFC 9562's layout for custom ids): random, with the version and variant bits
/// set and the last two bytes the region's tag. Ids of other versions (older random v4 ids) name no home.
extension UUID {
    /// A new random id homed in `region`.
    public static func homed(in region: Region) -> UUID {
        var bytes = randomBytes(16)
        bytes[6] = 0x80 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        let tag = region.tag
        bytes[14] = tag.0
        bytes[15] = tag.1
        return UUID(bytes: bytes)!
    }

    /// The region whose tag this id carries, among `regions`; nil for an id that names no home.
    public func home(among regions: [Region]) -> Region? {
        guard uuid.6 >> 4 == 8 else { return nil }
        return regions.first { $0.tag == (uuid.14, uuid.15) }
    }
}

extension Region {
    /// Two bytes of the name's SHA-256: a directory of regions must check that no two share one.
    public var tag: (UInt8, UInt8) {
        let digest = Array(SHA256.hash(data: Data(name.utf8)))
        return (digest[0], digest[1])
    }

    /// The first two of `regions` whose tags collide, if any: their ids could not tell them apart.
    public static func tagCollision(among regions: [Region]) -> (Region, Region)? {
        for (index, region) in regions.enumerated() {
            if let other = regions[(index + 1)...].first(where: { $0.tag == region.tag }) { return (region, other) }
        }
        return nil
    }
}
