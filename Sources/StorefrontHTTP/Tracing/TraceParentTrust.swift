import HTTPTypes
import StorefrontCore
import StorefrontTracing

/// Whose `traceparent` a region continues (`TracingSettings.ParentPolicy`): with `trusted`, the edge's (a
/// connection from a trusted proxy) and another region's (a forward that carries the peer secret). Anyone
/// else starts a new trace: a client could otherwise have every request sampled, or write into another
/// shopper's trace.
public struct TraceParentTrust: Sendable {
    let policy: TracingSettings.ParentPolicy
    let trustedProxies: Set<String>
    let peerSecret: String?

    public init(policy: TracingSettings.ParentPolicy, trustedProxies: Set<String>, peerSecret: String?) {
        self.policy = policy
        self.trustedProxies = trustedProxies
        self.peerSecret = peerSecret
    }

    func trusts(_ headers: HTTPFields, from peer: @autoclosure () -> String?) -> Bool {
        switch policy {
        case .always: return true
        case .never: return false
        case .trusted:
            if let peer = peer(), trustedProxies.contains(peer) { return true }
            guard let peerSecret, headers[.forwardedBy] != nil, let offered = headers[.peerSecret] else { return false }
            return secretsMatch(offered, peerSecret)
        }
    }
}
