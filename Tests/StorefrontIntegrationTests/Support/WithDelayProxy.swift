import DelayProxy
import NIOCore
import StorefrontTestSupport

/// A delay proxy to `127.0.0.1:port` for `body`, closed afterwards whatever `body` did.
func withDelayProxy<Result: Sendable>(
    to port: Int,
    delay: Duration = .zero,
    _ body: (DelayProxy) async throws -> Result
) async throws -> Result {
    let proxy = try await DelayProxy(target: try SocketAddress(ipAddress: "127.0.0.1", port: port), delay: delay)
    do {
        let result = try await body(proxy)
        await proxy.close()
        return result
    } catch {
        await proxy.close()
        throw error
    }
}
