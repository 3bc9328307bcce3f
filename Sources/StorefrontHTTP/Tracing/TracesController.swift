import HTTPTypes
import Hummingbird
import NIOCore
import StorefrontCore
import StorefrontHealth
import StorefrontTracing
import Tracing

/// `/debug/traces`: the region's recent kept traces (sampled, failed, slowest of the last minutes) for an
/// engineer without a tracing backend. With `Accept: application/json` and the observer token, the list
/// (filtered by `flow` or `route`) and one trace's spans in this region; a browser gets a page that reads
/// them with the token from its address's fragment, as the dashboard does.
public struct TracesController: Sendable {
    let tracer: StorefrontTracer
    let access: ObserverAccess
    /// The page a browser gets: it reads the observer token from the address's fragment (never sent to a
    /// server or a log), asks for the same address as JSON, and draws the list, or one trace as a waterfall
    /// of this region's spans with each span's attributes (`Tracing/Traces/`).
    let page: SelfContainedPage

    /// Throws when the page's files are missing from the binary's resources.
    public init(tracer: StorefrontTracer, access: ObserverAccess) throws(BundledResourceMissing) {
        self.tracer = tracer
        self.access = access
        page = try SelfContainedPage(named: "traces", in: "Traces", title: "Storefront traces")
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get { request, _ in
            let query = request.uri.queryParameters
            let flow = query["flow"].map(String.init)
            let route = query["route"].map(String.init)
            if let flow, Flow(rawValue: flow) == nil {
                throw Problem(
                    .invalidRequest,
                    detail: "Unknown flow.",
                    errors: [FieldError(field: "flow", detail: "one of \(Flow.allCases.map(\.rawValue).joined(separator: ", "))")]
                )
            }
            guard wantsJSON(request) else { return pageResponse() }
            guard access.mayReadDetails(request) else { throw ObserverAccess.refusal }
            let traces = tracer.recent.all().filter { kept in
                let root = kept.trace.root
                return (flow == nil || root.attributes.get("storefront.flow").map(TracesDocument.text) == flow)
                    && (route == nil || root.name.hasSuffix(" " + (route ?? "")))
            }
            return noStore(JSON.response(TracesDocument.list(traces, region: tracer.region)))
        }
        group.get("{trace_id}") { request, context in
            guard let id = context.parameters.get("trace_id").flatMap(TraceID.init(hex:)) else {
                throw Problem(.notFound, detail: "A trace id is 32 lower-case hex digits.")
            }
            guard wantsJSON(request) else { return pageResponse() }
            guard access.mayReadDetails(request) else { throw ObserverAccess.refusal }
            let parts = tracer.recent.parts(of: id)
            guard !parts.isEmpty else {
                throw Problem(.notFound, detail: "This region holds no such trace: it was not kept, or it has been replaced by newer ones.")
            }
            return noStore(JSON.response(TracesDocument.trace(parts, id: id, region: tracer.region)))
        }
    }

    private func wantsJSON(_ request: Request) -> Bool {
        request.headers[.accept]?.contains("application/json") ?? false
    }

    private func pageResponse() -> Response {
        var response = Response.bytes(ByteBuffer(string: page.html), contentType: "text/html; charset=utf-8")
        response.headers[.contentSecurityPolicy] = page.contentSecurityPolicy
        return noStore(response)
    }

    private func noStore(_ response: Response) -> Response {
        var response = response
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
