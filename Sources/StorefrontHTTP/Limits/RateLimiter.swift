import Foundation
import StorefrontCore
import Synchronization

/// Token buckets by client, one set per policy. Memory stays bounded: past `maxClients` the buckets that
/// have refilled, which say nothing a new bucket would not, are dropped; if a flood of new addresses leaves
/// none to drop, every bucket is, and the limits start over rather than the region running out of memory.
public final class RateLimiter: Sendable {
    public let policy: RateLimitPolicy
    let maxClients: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// The bucket's state after a request: whether it may go on, what is left, and when one more would be.
    public struct Verdict: Sendable {
        public var allowed: Bool
        public var remaining: Int
        /// Seconds until the bucket holds a token again (0 when it does) and until it is full.
        public var retryAfter: Int
        public var resetAfter: Int
    }

    public init(_ policy: RateLimitPolicy, maxClients: Int = 100_000) {
        self.policy = policy
        self.maxClients = maxClients
    }

    var refillPerSecond: Double { Double(policy.requests) / Double(policy.seconds) }

    public func take(for client: String, now: ContinuousClock.Instant = .now) -> Verdict {
        let capacity = Double(policy.requests)
        return buckets.withLock { buckets in
            var bucket = buckets[client] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated).seconds * refillPerSecond)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            if buckets[client] == nil, buckets.count >= maxClients {
                Self.prune(&buckets, maxClients: maxClients, capacity: capacity, refill: refillPerSecond, now: now)
            }
            buckets[client] = bucket
            return Verdict(
                allowed: allowed,
                remaining: Int(bucket.tokens),
                retryAfter: allowed ? 0 : Int((1 - bucket.tokens) / refillPerSecond) + 1,
                resetAfter: Int(((capacity - bucket.tokens) / refillPerSecond).rounded(.up))
            )
        }
    }

    public var clients: Int { buckets.withLock { $0.count } }

    private static func prune(
        _ buckets: inout [String: Bucket],
        maxClients: Int,
        capacity: Double,
        refill: Double,
        now: ContinuousClock.Instant
    ) {
        buckets = buckets.filter { $0.value.tokens + (now - $0.value.updated).seconds * refill < capacity }
        if buckets.count >= maxClients { buckets.removeAll() }
    }
}
