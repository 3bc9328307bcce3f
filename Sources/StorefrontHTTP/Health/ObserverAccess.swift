import Hummingbird

/// Who may read the details behind the probes: the health model's reasons and figures (error kinds, peer
/// names, pool sizes, lag) and `/metrics`. The probes themselves stay public and cheap: they say only
/// pass, warn or fail and a short public reason.
public struct ObserverAccess: Sendable {
    /// Everyone sees the details (a closed network, a lab).
    public var detailsArePublic: Bool
    /// With `Authorization: Bearer <token>` a caller sees them wherever they are not public.
    public var token: String?

    public init(detailsArePublic: Bool, token: String?) {
        self.detailsArePublic = detailsArePublic
        self.token = token
    }

    func mayReadDetails(_ request: Request) -> Bool {
        detailsArePublic || request.carriesBearer(token)
    }

    static var refusal: Problem {
        var problem = Problem(.unauthorized, detail: "This needs the observer bearer token.")
        problem.headers["WWW-Authenticate"] = "Bearer"
        return problem
    }
}
