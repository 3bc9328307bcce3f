import Hummingbird

/// The context's `responseEncoder`: a route that returns an `Encodable` body is answered in the API's one
/// JSON style (`JSON.encoder()`).
public struct JSONResponseEncoder: ResponseEncoder {
    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        try JSON.response(value)
    }
}
