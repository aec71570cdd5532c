import NIOCore
import NIOEmbedded
import NIOTestUtils
import WSBridgeProtocol
import XCTest

/// A frame's bytes: the 4-byte big-endian length of `json`, then `json`.
func framed(_ json: String) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.writeInteger(UInt32(json.utf8.count), endianness: .big)
    buffer.writeString(json)
    return buffer
}

/// Just a length prefix.
func lengthPrefix(_ length: UInt32) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.writeInteger(length, endianness: .big)
    return buffer
}

final class AppFrameDecoderTests: XCTestCase {
    private func channel(maxFrameBytes: Int = 64) -> EmbeddedChannel {
        EmbeddedChannel(handler: ByteToMessageHandler(AppFrameDecoder(maxFrameBytes: maxFrameBytes)))
    }

    private func frameError(_ error: Error, file: StaticString = #filePath, line: UInt = #line) -> AppProtocolError? {
        guard let error = error as? AppProtocolError else {
            XCTFail("expected an AppProtocolError, got \(error)", file: file, line: line)
            return nil
        }
        return error
    }

    func testFramesDecodeWhetherFedByteByByteInChunksOrWhole() throws {
        let frames = [#"{"type":"ping"}"#, #"{"type":"hello","protocol":1,"name":"a","paths":["/ws"]}"#, "{}", "x"]
        let pairs = frames.map { (framed($0), [ByteBuffer(string: $0)]) }
        XCTAssertNoThrow(
            try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { AppFrameDecoder(maxFrameBytes: 128) }
        )
    }

    func testAFrameOfExactlyTheLimitIsAccepted() throws {
        let channel = self.channel(maxFrameBytes: 8)
        XCTAssertTrue(try channel.writeInbound(framed("12345678")).isFull)
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self), ByteBuffer(string: "12345678"))
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testSeveralFramesInOneReadComeOutInOrder() throws {
        let channel = self.channel()
        var input = framed(#"{"type":"ping","id":1}"#)
        input.writeImmutableBuffer(framed(#"{"type":"ping","id":2}"#))
        input.writeImmutableBuffer(framed(#"{"type":"ping","id":3}"#))
        try channel.writeInbound(input)
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) }, #"{"type":"ping","id":1}"#)
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) }, #"{"type":"ping","id":2}"#)
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) }, #"{"type":"ping","id":3}"#)
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testAFrameSplitAcrossReadsWaitsForItsLastByte() throws {
        let channel = self.channel()
        var input = framed(#"{"type":"ping"}"#)
        let head = try XCTUnwrap(input.readSlice(length: 6))
        XCTAssertFalse(try channel.writeInbound(head).isFull)
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))
        XCTAssertTrue(try channel.writeInbound(input).isFull)
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) }, #"{"type":"ping"}"#)
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testALengthOfZeroIsFrameTooLarge() throws {
        let channel = self.channel()
        var input = lengthPrefix(0)
        input.writeImmutableBuffer(framed(#"{"type":"ping"}"#))
        XCTAssertThrowsError(try channel.writeInbound(input)) { error in
            XCTAssertEqual(self.frameError(error)?.code, .frameTooLarge)
            XCTAssertEqual(self.frameError(error)?.closesConnection, true)
            XCTAssertEqual(self.frameError(error)?.id, nil)
        }
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self), "the frame after a bad length is not trusted")
        // The handler is now in its error state: it decodes nothing more, and reports nothing more at EOF.
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testALengthOverTheLimitIsFrameTooLargeAndNothingPastItIsRead() throws {
        let channel = self.channel(maxFrameBytes: 16)
        var input = lengthPrefix(17)
        input.writeString(String(repeating: "x", count: 17))
        XCTAssertThrowsError(try channel.writeInbound(input)) { error in
            let error = self.frameError(error)
            XCTAssertEqual(error?.code, .frameTooLarge)
            XCTAssertEqual(error?.message.contains("17"), true, error?.message ?? "")
        }
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))
        // More bytes after the error are refused, not decoded.
        XCTAssertThrowsError(try channel.writeInbound(framed("{}"))) { error in
            guard case .some(.dataReceivedInErrorState(let cause, _)) = error as? ByteToMessageDecoderError else {
                return XCTFail("expected dataReceivedInErrorState, got \(error)")
            }
            XCTAssertEqual((cause as? AppProtocolError)?.code, .frameTooLarge)
        }
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testAnOversizedLengthIsRefusedFromItsPrefixAlone() throws {
        // A hostile 4 GiB length must be refused at once, before any body arrives.
        let channel = self.channel()
        XCTAssertThrowsError(try channel.writeInbound(lengthPrefix(UInt32.max))) { error in
            XCTAssertEqual(self.frameError(error)?.code, .frameTooLarge)
        }
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testATruncatedFrameAtEOFIsReportedAsLeftoverWithItsPrefix() throws {
        let channel = self.channel()
        var input = framed(#"{"type":"ping"}"#)
        input.writeImmutableBuffer(lengthPrefix(10))
        input.writeString("{\"ty")
        try channel.writeInbound(input)
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) }, #"{"type":"ping"}"#)
        XCTAssertThrowsError(try channel.finish()) { error in
            guard case .some(.leftoverDataWhenDone(let leftover)) = error as? ByteToMessageDecoderError else {
                return XCTFail("expected leftoverDataWhenDone, got \(error)")
            }
            var expected = lengthPrefix(10)
            expected.writeString("{\"ty")
            XCTAssertEqual(leftover, expected)
        }
    }

    func testAPartialLengthPrefixAtEOFIsReportedAsLeftover() throws {
        let channel = self.channel()
        try channel.writeInbound(ByteBuffer(bytes: [0, 0]))
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))
        XCTAssertThrowsError(try channel.finish()) { error in
            guard case .some(.leftoverDataWhenDone(let leftover)) = error as? ByteToMessageDecoderError else {
                return XCTFail("expected leftoverDataWhenDone, got \(error)")
            }
            XCTAssertEqual(leftover, ByteBuffer(bytes: [0, 0]))
        }
    }

    func testAMaximumBelowOneIsRaisedToOne() {
        XCTAssertEqual(AppFrameDecoder(maxFrameBytes: 0).maxFrameBytes, 1)
        XCTAssertEqual(AppFrameDecoder().maxFrameBytes, 1 << 20)
    }
}
