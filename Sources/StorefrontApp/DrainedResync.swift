import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import StorefrontCore
import StorefrontPostgres

/// `storefront replication resync`: copies a peer's rows afresh with the region out of rotation.
///
/// A resync deletes this region's copy of the peer's rows (the whole catalog when the peer is the catalog
/// home) before copying them again: a region serving meanwhile would show shoppers an empty catalog and
/// refuse their carts. So the region is drained first (readiness 503: the edge and orchestrators stop
/// sending), the copy runs, and the drain is lifted only once every table is copied. A failure on the way
/// leaves the region drained, and says so. The drain sent to `regionURL` is the region's: every instance of
/// the region honours it (`RegionSession`).
public struct DrainedResync: Sendable {
    /// The region's own API, where the drain is set and lifted.
    public var regionURL: String
    public var adminToken: String
    /// How long the edge and orchestrators get to notice the drain, once the region's readiness shows it,
    /// before any row is deleted: the edge's checks of `/health/ready/<flow>` run every 500 ms and take a
    /// region out after two failures (HAProxyConfig's `default-server`), so a second and a margin.
    public var settle: Duration
    public var copyTimeout: Duration
    let logger: Logger

    public init(regionURL: String, adminToken: String, settle: Duration = .seconds(2), copyTimeout: Duration = .seconds(1800), logger: Logger) {
        self.regionURL = regionURL.hasSuffix("/") ? String(regionURL.dropLast()) : regionURL
        self.adminToken = adminToken
        self.settle = settle
        self.copyTimeout = copyTimeout
        self.logger = logger
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Drains, resyncs from `peer`, waits for the copy, lifts the drain; `progress` hears each step.
    /// A drain that was already in force (an operator's) stays after the copy: only its own is lifted.
    public func run(_ setup: ReplicationSetup, peer: ReplicationTopology.PeerDatabase, progress: @Sendable (String) -> Void) async throws {
        let drainedAlready = try await admin(.GET, "drain").contains(#""draining":true"#)
        if !drainedAlready {
            _ = try await admin(
                .POST,
                "drain",
                body: #"{"reason": "replication resync from \#(peer.region)", "requested_by": "storefront replication resync"}"#
            )
        }
        // Not deleted before the region answers unready, as the edge's checks see it: every instance honours
        // the drain within one probe interval, and one answering ready would still be sent shoppers.
        try await untilUnready()
        progress("drained \(regionURL): its readiness answers 503; \(settle) for the edge to take it out of rotation")
        try await Task.sleep(for: settle)
        do {
            try await setup.resync(peer: peer)
            progress("copying \(peer.region)'s rows again")
            let deadline = ContinuousClock.now + copyTimeout
            while true {
                let pending = try await setup.tablesBeingCopied(from: peer.region)
                if pending == 0 { break }
                guard ContinuousClock.now < deadline else {
                    throw Failure(description: "\(pending) tables still copying after \(copyTimeout)")
                }
                try await Task.sleep(for: .milliseconds(500))
            }
        } catch {
            throw Failure(
                description:
                    "the resync failed and the region stays drained (lift it with POST \(regionURL)/v1/admin/undrain once its data is whole): \(error)"
            )
        }
        if drainedAlready {
            progress("every table is copied; the region stays drained, as it was before the resync")
        } else {
            _ = try await admin(.POST, "undrain", body: "{}")
            progress("every table is copied: the drain is lifted")
        }
    }

    /// Until `/health/ready` answers 503 several times in a row (instances behind one address answer in
    /// turn), within `readinessTimeout`.
    private func untilUnready() async throws {
        let deadline = ContinuousClock.now + Self.readinessTimeout
        var unreadyInARow = 0
        while unreadyInARow < 5 {
            guard ContinuousClock.now < deadline else {
                throw Failure(
                    description:
                        "the region at \(regionURL) still answers ready \(Self.readinessTimeout) after its drain: nothing was deleted (lift the drain with POST \(regionURL)/v1/admin/undrain)"
                )
            }
            let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "\(regionURL)/health/ready"), timeout: .seconds(2))
            // Read to its end, so that the connection goes back to the client's pool.
            _ = try? await response?.body.collect(upTo: 1 << 20)
            unreadyInARow = response?.status == .serviceUnavailable ? unreadyInARow + 1 : 0
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static let readinessTimeout = Duration.seconds(30)

    /// The answer's body, after a 200.
    private func admin(_ method: HTTPMethod, _ action: String, body: String? = nil) async throws -> String {
        var request = HTTPClientRequest(url: "\(regionURL)/v1/admin/\(action)")
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(adminToken)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        } catch {
            throw Failure(description: "cannot \(action) the region at \(regionURL): \(error)")
        }
        let answer = String(buffer: (try? await response.body.collect(upTo: 1 << 16)) ?? ByteBuffer())
        guard response.status == .ok else {
            throw Failure(description: "\(action) at \(regionURL) answered \(response.status.code)")
        }
        return answer
    }
}
