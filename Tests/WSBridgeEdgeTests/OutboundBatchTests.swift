import NIOCore
import XCTest
@testable import WSBridgeEdge

final class OutboundBatchTests: XCTestCase {
    func testALoneFrameIsWrittenAsItIsWithoutACopy() {
        var batch = OutboundBatch()
        XCTAssertNil(batch.take())
        let frame = ByteBuffer(string: "one")
        batch.append(frame, allocator: ByteBufferAllocator())
        XCTAssertEqual(batch.count, 3)
        let taken = batch.take()
        XCTAssertEqual(taken, frame)
        XCTAssertEqual(
            taken?.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) },
            frame.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) },
            "the shared frame's own storage")
        XCTAssertEqual(batch.count, 0)
        XCTAssertNil(batch.take())
    }

    func testFramesAfterTheFirstGoIntoABufferOfItsOwnInOrder() {
        var batch = OutboundBatch()
        let first = ByteBuffer(string: "one")
        batch.append(first, allocator: ByteBufferAllocator())
        batch.append(ByteBuffer(string: "two"), allocator: ByteBufferAllocator())
        batch.append(ByteBuffer(string: "three"), allocator: ByteBufferAllocator())
        XCTAssertEqual(batch.count, 11)
        XCTAssertEqual(batch.take().map { String(buffer: $0) }, "onetwothree")
        XCTAssertEqual(String(buffer: first), "one", "the shared first frame is not written into")
    }
}
