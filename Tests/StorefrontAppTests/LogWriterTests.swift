import Foundation
import ServiceLifecycle
import Testing

@testable import StorefrontApp

@Suite struct LogWriterTests {
    /// Everything written to `pipe` until its write end closes, read on a thread of its own (a blocking read
    /// must not hold one of the few threads Swift's tasks run on).
    func readingToTheEnd(_ pipe: Pipe) async -> Data {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile()) }.start()
        }
    }

    @Test func withoutItsServiceALineIsWrittenAtOnce() {
        let pipe = Pipe()
        let writer = LogWriter(descriptor: pipe.fileHandleForWriting.fileDescriptor)
        writer.write("{\"msg\":\"one\"}\n", urgent: false)
        #expect(String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self) == "{\"msg\":\"one\"}\n")
    }

    /// A reader of standard output that stalls holds the service's write, never a request's task: lines past
    /// the bound are dropped and counted, the rest arrive in order once the reader reads again.
    @Test func linesPastTheBoundAreDroppedCountedAndTheRestKeepTheirOrder() async throws {
        let pipe = Pipe()
        let writer = LogWriter(descriptor: pipe.fileHandleForWriting.fileDescriptor)
        let service = Task { try? await writer.flushing.run() }
        while !writer.isFlushing { await Task.yield() }
        // Three times the bound: the pipe holds 64 KiB, the service's stalled batch and the pending lines at
        // most the bound each, so some must be dropped.
        let padding = String(repeating: "x", count: 8 * 1024)
        let written = 3 * LogWriter.pendingLimit / padding.utf8.count
        for line in 0..<written { writer.write("{\"line\":\(line),\"pad\":\"\(padding)\"}\n", urgent: false) }
        async let read = readingToTheEnd(pipe)
        service.cancel()
        await service.value
        try pipe.fileHandleForWriting.close()
        let lines = String(decoding: await read, as: UTF8.self).split(separator: "\n")
        let numbers = lines.compactMap { line -> Int? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return object["line"] as? Int
        }
        let dropped = lines.compactMap { line -> Int? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["msg"] as? String == "log lines dropped: standard output was not read fast enough"
            else { return nil }
            return object["count"] as? Int
        }
        #expect(dropped.reduce(0, +) > 0, "\(lines.count) lines arrived of \(written)")
        #expect(numbers.count + dropped.reduce(0, +) == written)
        #expect(numbers == numbers.sorted(), "in the order they were written")
    }
}
