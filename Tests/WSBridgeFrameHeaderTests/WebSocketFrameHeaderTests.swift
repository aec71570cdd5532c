import NIOCore
import WSBridgeFrameHeader
import XCTest

final class WebSocketFrameHeaderTests: XCTestCase {
    private func written(_ length: Int, masked: Bool = false, first: UInt8 = 0x81) -> [UInt8] {
        var buffer = ByteBuffer()
        let count = WebSocketFrameHeader.write(first: first, payloadLength: length, masked: masked, into: &buffer)
        XCTAssertEqual(count, buffer.readableBytes)
        return Array(buffer.readableBytesView)
    }

    func testEachLengthIsWrittenInItsShortestFormAtEveryBoundary() {
        XCTAssertEqual(self.written(0), [0x81, 0])
        XCTAssertEqual(self.written(125), [0x81, 125])
        XCTAssertEqual(self.written(126), [0x81, 126, 0x00, 126])
        XCTAssertEqual(self.written(65535), [0x81, 126, 0xFF, 0xFF])
        XCTAssertEqual(self.written(65536), [0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00])
        XCTAssertEqual(self.written(Int(UInt32.max) + 1), [0x81, 127, 0, 0, 0, 0x01, 0, 0, 0, 0])
    }

    func testTheMaskBitSharesTheByteOfTheShortLength() {
        XCTAssertEqual(self.written(5, masked: true, first: 0x82), [0x82, 0x85])
        XCTAssertEqual(self.written(125, masked: true), [0x81, 0x80 | 125])
        XCTAssertEqual(self.written(126, masked: true), [0x81, 0x80 | 126, 0x00, 126])
        XCTAssertEqual(self.written(65536, masked: true), [0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00])
    }

    func testTheSizeCountsTheLengthFieldAndTheMaskingKey() {
        for (length, size) in [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10), (1 << 40, 10)] {
            XCTAssertEqual(WebSocketFrameHeader.size(payloadLength: length), size, "length \(length)")
            XCTAssertEqual(WebSocketFrameHeader.size(payloadLength: length, masked: true), size + 4, "length \(length)")
        }
    }

    func testSettingInFrontOfAPayloadMovesNoIndexAndLeavesThePayloadAlone() {
        var buffer = ByteBuffer(repeating: 0, count: 2)
        buffer.writeString("payload")
        let count = WebSocketFrameHeader.set(first: 0x82, payloadLength: 7, at: 0, in: &buffer)
        XCTAssertEqual(count, 2)
        XCTAssertEqual(buffer.readerIndex, 0)
        XCTAssertEqual(buffer.writerIndex, 9)
        XCTAssertEqual(Array(buffer.readableBytesView), [0x82, 7] + Array("payload".utf8))
    }

    func testWhatIsWrittenReadsBackAtEveryBoundary() throws {
        for length in [0, 1, 125, 126, 127, 65535, 65536, 1 << 32, Int(Int64.max)] {
            for masked in [false, true] {
                let bytes = self.written(length, masked: masked, first: 0x02)
                let header = try XCTUnwrap(WebSocketFrameHeader.read(bytes), "length \(length)")
                XCTAssertEqual(header.payloadLength, UInt64(length))
                XCTAssertEqual(header.masked, masked)
                XCTAssertEqual(header.lengthEnd, bytes.count)
                XCTAssertEqual(header.size, WebSocketFrameHeader.size(payloadLength: length, masked: masked))
                XCTAssertEqual(header.opcode, 0x2)
                XCTAssertFalse(header.fin)
            }
        }
    }

    func testAHeaderIsReadOnlyOnceItsLengthIsWhole() {
        for length in [125, 126, 65536] {
            let bytes = self.written(length)
            for cut in 0..<bytes.count {
                XCTAssertNil(WebSocketFrameHeader.read(bytes.prefix(cut)), "length \(length), \(cut) bytes")
            }
            XCTAssertEqual(WebSocketFrameHeader.read(bytes)?.payloadLength, UInt64(length))
        }
    }

    func testTheMaskingKeyNeedNotHaveArrivedForTheLength() throws {
        // A masked 1 MiB frame whose key is still on its way: the length is known already.
        let header = try XCTUnwrap(WebSocketFrameHeader.read([0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0x10, 0, 0]))
        XCTAssertEqual(header.payloadLength, 1 << 20)
        XCTAssertEqual(header.lengthEnd, 10)
        XCTAssertEqual(header.size, 14)
    }

    func testLongerEncodingsAndTheTopBitAreReadAsTheyStand() throws {
        XCTAssertEqual(WebSocketFrameHeader.read([0x81, 126, 0, 5])?.payloadLength, 5, "a 16-bit 5 is 5")
        XCTAssertEqual(WebSocketFrameHeader.read([0x81, 127, 0, 0, 0, 0, 0, 0, 0, 5])?.payloadLength, 5)
        let top = try XCTUnwrap(WebSocketFrameHeader.read([0x81, 127, 0x80, 0, 0, 0, 0, 0, 0, 1]))
        XCTAssertEqual(top.payloadLength, 1 << 63 | 1, "the reader judges the most significant bit")
    }

    func testReadingABufferStartsAtTheGivenIndex() {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF])
        WebSocketFrameHeader.write(first: 0x88, payloadLength: 300, into: &buffer)
        buffer.moveReaderIndex(forwardBy: 1)
        XCTAssertNil(WebSocketFrameHeader.read(buffer, at: 0), "before the reader index")
        XCTAssertEqual(WebSocketFrameHeader.read(buffer, at: 3)?.payloadLength, 300)
        XCTAssertEqual(WebSocketFrameHeader.read(buffer, at: 3)?.opcode, 0x8)
        XCTAssertNil(WebSocketFrameHeader.read(buffer, at: 6), "one byte left: no header")
        XCTAssertNil(WebSocketFrameHeader.read(buffer, at: 99), "past the end")
    }
}
