import NIOCore
import StorefrontCore

extension Problem {
    /// The same document as `JSON.encode(self)`, keys in the same order, at a fraction of the cost: a rush on
    /// the last pairs answers most of its checkouts with a problem.
    func encoded() -> ByteBuffer {
        var json = JSONWriter(capacity: 256 + (errors?.count ?? 0) * 96 + (shortages?.count ?? 0) * 80)
        json.object { json in
            if let adoptedBy {
                json.key("adopted_by")
                json.object { json in
                    json.key("cart_id")
                    json.string(adoptedBy.cartId)
                    json.key("region")
                    json.string(adoptedBy.region)
                }
            }
            if let currentVersion {
                json.key("current_version")
                json.integer(currentVersion)
            }
            json.key("detail")
            json.string(detail)
            if let errors {
                json.key("errors")
                json.array(errors) { json, error in
                    json.object { json in
                        json.key("detail")
                        json.string(error.detail)
                        json.key("field")
                        json.string(error.field)
                    }
                }
            }
            if let homeRegion {
                json.key("home_region")
                json.string(homeRegion)
            }
            if let shortages {
                json.key("shortages")
                json.array(shortages) { json, shortage in
                    json.object { json in
                        json.key("available")
                        json.integer(shortage.available)
                        json.key("requested")
                        json.integer(shortage.requested)
                        json.key("sku")
                        json.string(shortage.sku)
                    }
                }
            }
            json.key("status")
            json.integer(status)
            json.key("title")
            json.string(title)
            if let traceId {
                json.key("trace_id")
                json.string(traceId)
            }
            json.key("type")
            json.string(type)
        }
        return json.buffer
    }
}
