import NIOCore
import NIOEmbedded
import WSBridgeProtocol
import XCTest

final class AppFrameEncoderTests: XCTestCase {
    func testTheEncoderPrefixesTheBigEndianLength() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(AppFrameEncoder()))
        try channel.writeOutbound(ByteBuffer(string: #"{"type":"ping"}"#))
        let written = try XCTUnwrap(channel.readOutbound(as: ByteBuffer.self))
        XCTAssertEqual(Array(written.readableBytesView.prefix(4)), [0, 0, 0, 15])
        XCTAssertEqual(written, framed(#"{"type":"ping"}"#))
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testEncodedFramesRoundTripThroughTheDecoder() throws {
        let messages = [#"{"type":"ping"}"#, #"{"type":"send","conn":"c1","data":"é ✓ 🎉"}"#, String(repeating: "y", count: 300)]
        let channel = EmbeddedChannel(handlers: [
            ByteToMessageHandler(AppFrameDecoder()), MessageToByteHandler(AppFrameEncoder()),
        ])
        for message in messages {
            try channel.writeOutbound(ByteBuffer(string: message))
        }
        var wire = ByteBuffer()
        while var chunk = try channel.readOutbound(as: ByteBuffer.self) {
            wire.writeBuffer(&chunk)
        }
        // Feed the bytes back in awkward pieces.
        while wire.readableBytes > 0 {
            let piece = try XCTUnwrap(wire.readSlice(length: min(7, wire.readableBytes)))
            try channel.writeInbound(piece)
        }
        var decoded: [String] = []
        while let frame = try channel.readInbound(as: ByteBuffer.self) {
            decoded.append(String(buffer: frame))
        }
        XCTAssertEqual(decoded, messages)
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testAnEmptyBodyCannotBeFramed() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(AppFrameEncoder()))
        XCTAssertThrowsError(try channel.writeOutbound(ByteBuffer())) { error in
            XCTAssertEqual((error as? AppProtocolError)?.code, .frameTooLarge)
        }
        XCTAssertNil(try channel.readOutbound(as: ByteBuffer.self))
        // The handler also fires the error down the pipeline, where the channel keeps it.
        XCTAssertThrowsError(try channel.throwIfErrorCaught())
        XCTAssertTrue(try channel.finish().isClean)
    }
}
