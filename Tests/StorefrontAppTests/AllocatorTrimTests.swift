import CStorefrontAllocator
import Foundation
import Testing

/// The allocator controls `AllocatorTrim` calls are glibc's, not the do-nothing fallbacks.
@Suite struct AllocatorTrimTests {
    @Test func aTrimGivesTheFreedPagesBackToTheKernel() throws {
        #if canImport(Glibc)
        let count = 200_000
        let size = 512
        let blocks = (0..<count).map { _ in
            let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            block.initializeMemory(as: UInt8.self, repeating: 1, count: size)
            return block
        }
        // One block allocated after the rest stays in use: glibc alone gives back only the top of an arena,
        // so without a trim the pages below it stay resident.
        let last = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { last.deallocate() }
        #expect(storefront_allocator_in_use() >= count * size)
        for block in blocks { block.deallocate() }
        let before = try Self.residentBytes()
        #expect(storefront_allocator_release_free_pages() == 1)
        let after = try Self.residentBytes()
        // 100 MB were freed; other tests share the process, so ask for half of it back.
        #expect(before - after > count * size / 2, "resident before the trim \(before), after \(after)")
        #endif
    }

    static func residentBytes() throws -> Int {
        let fields = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
        return Int(fields[1])! * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
