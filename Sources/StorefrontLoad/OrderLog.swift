import Foundation
import Synchronization

/// Every order a checkout got acknowledged, one JSON line each (`id`, `region`, `acked_unix_ms`), as it
/// happens: a drill reads it at the moment it crashes a region, to find the acknowledged orders the other
/// regions do not have yet.
final class OrderLog: Sendable {
    private let handle: Mutex<FileHandle>

    init(path: String) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw LoadError.invalid("cannot write \(path)") }
        self.handle = Mutex(handle)
    }

    func acknowledged(id: String, region: String?) {
        let milliseconds = Int64(Date().timeIntervalSince1970 * 1000)
        let line = #"{"id": "\#(id)", "region": "\#(region ?? "")", "acked_unix_ms": \#(milliseconds)}"# + "\n"
        handle.withLock { $0.write(Data(line.utf8)) }
    }
}
