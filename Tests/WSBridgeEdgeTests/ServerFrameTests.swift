import NIOCore
import XCTest
@testable import WSBridgeEdge

final class ServerFrameTests: XCTestCase {
    func testLengthEncodingsAtEachBoundary() {
        for (length, headerBytes) in [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)] {
            let payload = ByteBuffer(repeating: 0x61, count: length)
            let frame = ServerFrame.encode(.text, payload: payload, allocator: .init())
            XCTAssertEqual(frame.readableBytes, headerBytes + length, "length \(length)")
            XCTAssertEqual(frame.getInteger(at: 0, as: UInt8.self), 0x81)
            XCTAssertEqual(ServerFrame.encodedSize(payloadLength: length), frame.readableBytes)
            switch headerBytes {
            case 2: XCTAssertEqual(frame.getInteger(at: 1, as: UInt8.self), UInt8(length))
            case 4: XCTAssertEqual(frame.getInteger(at: 2, as: UInt16.self), UInt16(length))
            default: XCTAssertEqual(frame.getInteger(at: 2, as: UInt64.self), UInt64(length))
            }
        }
    }

    func testCloseFramesCarryTheCodeAndAReasonCutAtACharacterBoundary() {
        let reason = String(repeating: "é", count: 100)  // 200 bytes
        var frame = ServerFrame.close(.policyViolation, reason: reason, allocator: .init())
        XCTAssertEqual(frame.readInteger(as: UInt8.self), 0x88)
        let length = Int(frame.readInteger(as: UInt8.self) ?? 0)
        XCTAssertLessThanOrEqual(length, 125)
        XCTAssertEqual(frame.readInteger(as: UInt16.self), 1008)
        let text = frame.readString(length: length - 2)
        XCTAssertEqual(text, String(repeating: "é", count: 61))
    }
}
