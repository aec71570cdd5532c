import NIOCore
import XCTest
@testable import WSBridgeEdge

final class CompactRecvAllocatorTests: XCTestCase {
    /// Stored in an existential's inline buffer (three words), so that no channel boxes a copy of it.
    func testItFitsInAnExistentialWithoutABox() {
        XCTAssertLessThanOrEqual(MemoryLayout<CompactRecvAllocator>.size, 3 * MemoryLayout<Int>.size)
        XCTAssertGreaterThan(MemoryLayout<AdaptiveRecvByteBufferAllocator>.size, 3 * MemoryLayout<Int>.size)
    }

    /// The same sizes as NIO's adaptive allocator, read after read, for reads of every kind: small ones
    /// that shrink it, full ones that grow it, bounds rounded the same way.
    func testItSizesBuffersAsNIOsAdaptiveAllocatorDoes() {
        var random = SystemRandomNumberGenerator()
        for (minimum, initial, maximum) in [(64, 512, 65536), (32, 100, 3000), (256, 256, 256), (100, 1000, 1 << 31)] {
            var ours = CompactRecvAllocator(minimum: minimum, initial: initial, maximum: maximum)
            var nio = AdaptiveRecvByteBufferAllocator(minimum: minimum, initial: initial, maximum: maximum)
            for read in 0..<5000 {
                let size = nio.nextBufferSize()!
                XCTAssertEqual(ours.nextBufferSize(), size, "read \(read) of \(minimum)/\(initial)/\(maximum)")
                XCTAssertEqual(ours.buffer(allocator: ByteBufferAllocator()).capacity, size)
                let bytes: Int
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes = size
                case 1: bytes = Int.random(in: 0...(size / 2), using: &random)
                case 2: bytes = size / 2 + 1
                default: bytes = Int.random(in: 0...size, using: &random)
                }
                XCTAssertEqual(ours.record(actualReadBytes: bytes), nio.record(actualReadBytes: bytes))
            }
        }
    }
}
