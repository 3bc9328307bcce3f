import Dispatch
import Foundation
import StorefrontCore
import StorefrontPostgres
import StorefrontTestSupport

/// One of the PostgreSQL clusters `scripts/test` started (STOREFRONT_TEST_REGIONS), stopped and started as an
/// operator or a crash would.
struct TestCluster: Sendable {
    var region: Region
    var port: Int
    /// The cluster's folder: `data/` and the Unix socket folder `run/`.
    var directory: String
    /// Set for a region whose servers Patroni runs (`HARegion`): the superuser is reached by password through
    /// the region's router, and the cluster is Patroni's to stop and start, never pg_ctl's.
    var superuserPassword: String? = nil
    /// Where the storefront connects, when not `port`: a Patroni pair's database address, which reaches the
    /// standby, read-only, while the primary fails over (`port` is then its primary-only address).
    var storefrontPort: Int? = nil

    static func all() throws -> [TestCluster] {
        guard let list = ProcessInfo.processInfo.environment["STOREFRONT_TEST_REGIONS"] else {
            throw TestSetupError("STOREFRONT_TEST_REGIONS is not set: run the tests with scripts/test")
        }
        return try list.split(separator: ",").map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1)
            let location = parts[1].split(separator: ":", maxSplits: 1)
            return TestCluster(region: try Region(String(parts[0])), port: Int(location[0])!, directory: String(location[1]))
        }
    }

    static func named(_ region: String) throws -> TestCluster {
        guard let cluster = try all().first(where: { $0.region.name == region }) else { throw TestSetupError("no test cluster \(region)") }
        return cluster
    }

    /// The superuser, through the Unix socket.
    func adminURL(database: String) -> DatabaseURL {
        if let superuserPassword { return try! DatabaseURL("postgres://postgres:\(superuserPassword)@127.0.0.1:\(port)/\(database)") }
        return try! DatabaseURL("postgres://postgres@localhost:\(port)/\(database)?host=\(directory)/run")
    }

    var isRunning: Bool { superuserPassword != nil || FileManager.default.fileExists(atPath: "\(directory)/data/postmaster.pid") }

    /// Stops PostgreSQL as a crash does: no shutdown checkpoint, clients cut off.
    func crash() async throws {
        try await pgctl(["-m", "immediate", "stop"])
    }

    /// Stops PostgreSQL as an operator does: sessions are ended, the server shuts down cleanly. A shutdown
    /// checkpoint can outlast pg_ctl's minute on a machine this busy; then it is stopped as a crash would.
    func stop() async throws {
        do {
            try await pgctl(["-m", "fast", "stop"])
        } catch {
            try await crash()
        }
    }

    func start() async throws {
        if isRunning { return }
        try await pgctl(["-l", "\(directory)/postgres.log", "start"])
    }

    private func pgctl(_ arguments: [String]) async throws {
        guard superuserPassword == nil else { throw TestSetupError("\(region)'s servers are Patroni's: crash a node of its HARegion") }
        let bin = ProcessInfo.processInfo.environment["STOREFRONT_TEST_PG_BIN"] ?? "/usr/lib/postgresql/15/bin"
        let command = ["\(bin)/pg_ctl", "-D", "\(directory)/data", "-w", "-t", "60", "-s"] + arguments
        let status = await spawnAndWait(getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + command : command)
        guard status == 0 else { throw TestSetupError("pg_ctl \(arguments) for \(region) exited with \(status)") }
    }
}

/// Runs a program and waits for its exit status, on a Dispatch thread: the wait blocks, and must not hold
/// one of the few threads Swift's tasks share. Foundation's Process can miss the exit of a child started from
/// a concurrent task and wait forever; waitpid does not.
func spawnAndWait(_ arguments: [String]) async -> Int32 {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            var pid: pid_t = 0
            let argv = arguments.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            inheritOnlyStandardDescriptors()
            guard posix_spawn(&pid, arguments[0], nil, nil, argv, environ) == 0 else { return continuation.resume(returning: -1) }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1, errno == EINTR {}
            continuation.resume(returning: (status >> 8) & 0xff)
        }
    }
}
