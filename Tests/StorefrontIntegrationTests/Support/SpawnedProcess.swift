import Foundation
import NIOCore
import NIOPosix
import StorefrontTestSupport

/// The real `storefront` binary, run as its own process: signals and exit codes are part of what is tested.
struct SpawnedProcess: Sendable {
    let pid: pid_t

    /// The binary `scripts/test` built; `swift build --show-bin-path` names its folder.
    static var binary: String {
        get throws {
            guard let path = ProcessInfo.processInfo.environment["STOREFRONT_TEST_BINARY"], FileManager.default.isExecutableFile(atPath: path) else {
                throw TestSetupError("STOREFRONT_TEST_BINARY does not name the built storefront binary: run the tests with scripts/test")
            }
            return path
        }
    }

    /// Starts `arguments` with `environment` added to this process's, standard output and error going to `output`.
    static func start(_ arguments: [String], environment: [String: String], output: String) throws -> SpawnedProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        inheritOnlyStandardDescriptors()
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
        guard status == 0 else { throw TestSetupError("could not start \(arguments[0]): error \(status)") }
        return SpawnedProcess(pid: pid)
    }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// The exit status, or nil if the process is still running after `timeout` (it is then killed).
    func exitStatus(within timeout: Duration) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return (status >> 8) & 0xff }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        return nil
    }
}

/// A TCP port nothing listens on right now, chosen by the kernel.
func freePort() throws -> Int {
    // Through NIO rather than a raw sockaddr_in, whose C members the compiler may attribute to NIO's C
    // module instead of Glibc, depending on which files it compiles together.
    let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
    defer { try? channel.close().wait() }
    guard let port = channel.localAddress?.port else { throw TestSetupError("no free port") }
    return port
}

/// Marks every open descriptor above standard error close-on-exec, so a child — or a helper a child leaves
/// behind, as a browser does — never holds the test runner's pipes open and keeps it from finishing.
func inheritOnlyStandardDescriptors() {
    guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
    for descriptor in descriptors.compactMap({ Int32($0) }) where descriptor > 2 {
        let flags = fcntl(descriptor, F_GETFD)
        if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
    }
}
