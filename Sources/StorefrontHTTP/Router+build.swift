import Hummingbird
import StorefrontCore
import StorefrontHealth

/// Every route and middleware of the API, in one place.
public func buildRouter<Store: CatalogStore>(
    region: Region,
    health: HealthState,
    catalog: CatalogController<Store>
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestIDMiddleware(region: region))
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: ProblemMiddleware())
    HealthController(health: health, region: region).addRoutes(to: router.group("health"))
    catalog.addRoutes(to: router.group("v1"))
    return router
}
