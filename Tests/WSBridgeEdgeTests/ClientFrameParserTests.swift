import NIOCore
import NIOWebSocket
import XCTest
@testable import WSBridgeEdge

final class ClientFrameParserTests: XCTestCase {
    private let parser = ClientFrameParser(maxFrameSize: 1 << 20)

    /// Parses every complete frame in `buffer`.
    private func frames(in buffer: inout ByteBuffer, parser: ClientFrameParser? = nil) throws -> [WebSocketFrame] {
        var frames: [WebSocketFrame] = []
        while let frame = try (parser ?? self.parser).nextFrame(from: &buffer) {
            frames.append(frame)
        }
        return frames
    }

    func testEachLengthEncodingIsRead() throws {
        // 125 is the largest 7-bit length; 126 and 65535 take 16 bits; 65536 takes 64.
        for count in [0, 1, 125, 126, 65535, 65536, 70000] {
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0) }
            var buffer = EdgeHarness.clientFrame(opcode: 0x2, payload: payload)
            let frames = try self.frames(in: &buffer)
            XCTAssertEqual(frames.count, 1, "\(count) bytes")
            XCTAssertEqual(buffer.readableBytes, 0, "\(count) bytes")
            XCTAssertEqual(frames.first?.opcode, .binary)
            XCTAssertEqual(frames.first?.fin, true)
            XCTAssertEqual(frames.first?.unmaskedData, ByteBuffer(bytes: payload), "\(count) bytes")
        }
    }

    func testTheHeaderBitsAndMaskKeyArePassedOnAsSent() throws {
        var buffer = EdgeHarness.clientFrame(opcode: 0x1, payload: Array("hi".utf8), fin: false, rsv1: true)
        let frame = try XCTUnwrap(try self.parser.nextFrame(from: &buffer))
        XCTAssertFalse(frame.fin)
        XCTAssertTrue(frame.rsv1)
        XCTAssertFalse(frame.rsv2)
        XCTAssertFalse(frame.rsv3)
        XCTAssertEqual(frame.opcode, .text)
        XCTAssertEqual(frame.maskKey, [0x12, 0x34, 0x56, 0x78])
        XCTAssertNotEqual(frame.data, ByteBuffer(string: "hi"), "the payload is still masked")
        XCTAssertEqual(frame.unmaskedData, ByteBuffer(string: "hi"))
    }

    func testAnUnmaskedFrameIsPassedOnWithoutAMaskKey() throws {
        // Refusing it is the assembler's job (1002), as it was behind NIO's decoder.
        var buffer = EdgeHarness.clientFrame(opcode: 0x1, payload: Array("x".utf8), masked: false)
        let frame = try XCTUnwrap(try self.parser.nextFrame(from: &buffer))
        XCTAssertNil(frame.maskKey)
        XCTAssertEqual(frame.data, ByteBuffer(string: "x"))
    }

    func testAFrameSplitByteByByteIsReadOnceComplete() throws {
        for count in [5, 300, 70000] {
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let whole = EdgeHarness.clientFrame(opcode: 0x2, payload: payload)
            var buffer = ByteBuffer()
            var frames: [WebSocketFrame] = []
            for byte in whole.readableBytesView {
                buffer.writeInteger(byte)
                let before = buffer.readerIndex
                if let frame = try self.parser.nextFrame(from: &buffer) {
                    frames.append(frame)
                } else {
                    XCTAssertEqual(buffer.readerIndex, before, "an unfinished frame is left in place")
                }
            }
            XCTAssertEqual(frames.count, 1, "\(count) bytes")
            XCTAssertEqual(frames.first?.unmaskedData, ByteBuffer(bytes: payload))
            XCTAssertEqual(buffer.readableBytes, 0)
        }
    }

    func testSeveralFramesInOneBufferAreReadInOrderAndAPartialOneWaits() throws {
        var buffer = EdgeHarness.clientFrame(opcode: 0x1, payload: Array("one".utf8), fin: false)
        var ping = EdgeHarness.clientFrame(opcode: 0x9, payload: Array("p".utf8))
        var last = EdgeHarness.clientFrame(opcode: 0x0, payload: Array("two".utf8))
        var next = EdgeHarness.clientFrame(opcode: 0x2, payload: [1, 2, 3])
        buffer.writeBuffer(&ping)
        buffer.writeBuffer(&last)
        buffer.writeImmutableBuffer(next.readSlice(length: 4)!)
        let frames = try self.frames(in: &buffer)
        XCTAssertEqual(frames.map(\.opcode), [.text, .ping, .continuation])
        XCTAssertEqual(frames.map(\.fin), [false, true, true])
        XCTAssertEqual(frames.map { String(buffer: $0.unmaskedData) }, ["one", "p", "two"])
        XCTAssertEqual(buffer.readableBytes, 4, "the start of the next frame stays")
        buffer.writeBuffer(&next)
        XCTAssertEqual(try self.frames(in: &buffer).map(\.unmaskedData), [ByteBuffer(bytes: [1, 2, 3])])
    }

    func testAnEmptyBufferAndALoneFirstByteWait() throws {
        var buffer = ByteBuffer()
        XCTAssertNil(try self.parser.nextFrame(from: &buffer))
        buffer.writeInteger(UInt8(0x81))
        XCTAssertNil(try self.parser.nextFrame(from: &buffer))
        XCTAssertEqual(buffer.readableBytes, 1)
    }

    func testAnOversizedDeclaredLengthIsRefusedFromTheHeaderAlone() {
        let parser = ClientFrameParser(maxFrameSize: 1000)
        // Only the header of a 1 MiB frame: the refusal must not wait for the payload.
        var header = ByteBuffer(bytes: [0x82, 0x80 | 127])
        header.writeInteger(UInt64(1 << 20))
        XCTAssertThrowsError(try parser.nextFrame(from: &header)) { error in
            XCTAssertEqual(error as? ClientFrameParser.Failure, .frameTooLarge)
        }
        var sixteen = ByteBuffer(bytes: [0x82, 0x80 | 126])
        sixteen.writeInteger(UInt16(1001))
        XCTAssertThrowsError(try parser.nextFrame(from: &sixteen)) { error in
            XCTAssertEqual(error as? ClientFrameParser.Failure, .frameTooLarge)
        }
    }

    func testAFrameOfExactlyTheLimitIsAccepted() throws {
        let parser = ClientFrameParser(maxFrameSize: 1000)
        var buffer = EdgeHarness.clientFrame(opcode: 0x2, payload: [UInt8](repeating: 9, count: 1000))
        XCTAssertEqual(try self.frames(in: &buffer, parser: parser).map(\.length), [1000])
    }

    func testA64BitLengthWithTheTopBitSetIsAProtocolError() {
        var header = ByteBuffer(bytes: [0x82, 0x80 | 127])
        header.writeInteger(UInt64(1) << 63 | 5)
        XCTAssertThrowsError(try self.parser.nextFrame(from: &header)) { error in
            guard case .protocolError = error as? ClientFrameParser.Failure else {
                return XCTFail("\(error)")
            }
        }
    }

    func testFragmentedOrLongControlFramesAreProtocolErrorsFromTheHeader() {
        // A fragmented ping.
        let fragmented = ByteBuffer(bytes: [0x09, 0x80])
        // A close frame declaring 126 bytes (only its header is here).
        var long = ByteBuffer(bytes: [0x88, 0x80 | 126])
        long.writeInteger(UInt16(126))
        for var buffer in [fragmented, long] {
            XCTAssertThrowsError(try self.parser.nextFrame(from: &buffer)) { error in
                XCTAssertEqual(error as? ClientFrameParser.Failure, .protocolError("bad control frame"))
            }
        }
    }
}
