import AsyncAlgorithms
import ServiceLifecycle
import StorefrontHTTP

/// Ends the requests past their deadlines (`RequestDeadlines.reap`) every `resolution`: the one timer behind
/// every request's deadline. The group stops it after the HTTP server, so every request stays bounded.
struct DeadlineReaper: Service {
    let deadlines: RequestDeadlines

    func run() async {
        await cancelWhenGracefulShutdown {
            for await _ in AsyncTimerSequence(interval: deadlines.resolution, clock: .continuous) {
                deadlines.reap()
            }
        }
    }
}
