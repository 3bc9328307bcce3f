import AsyncAlgorithms
import ServiceLifecycle
import StorefrontHTTP

/// The one timer behind every bound a request meets: it ends the requests past their deadlines
/// (`RequestDeadlines.reap`) and refuses the admission waiters past their bound (`Admission.reap`), at the
/// finer of the two resolutions. The group stops it after the HTTP server, so every request stays bounded.
struct DeadlineReaper: Service {
    let deadlines: RequestDeadlines
    let admission: Admission

    func run() async {
        await cancelWhenGracefulShutdown {
            for await now in AsyncTimerSequence(interval: min(deadlines.resolution, admission.resolution), clock: .continuous) {
                deadlines.reap(now: now)
                admission.reap(now: now)
            }
        }
    }
}
