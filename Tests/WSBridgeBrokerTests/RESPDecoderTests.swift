import NIOCore
import NIOEmbedded
import NIOTestUtils
import WSBridgeBroker
import XCTest

final class RESPDecoderTests: XCTestCase {
    private func bulk(_ text: String) -> RESPValue {
        .bulkString(ByteBuffer(string: text))
    }

    private func bulk(_ bytes: [UInt8]) -> RESPValue {
        .bulkString(ByteBuffer(bytes: bytes))
    }

    func testEveryReplyKindSurvivesByteByByteChunkedAndWholeFeeding() throws {
        var binary: [UInt8] = Array(0...255)
        binary += Array("\r\n$-1\r\n*2\r\n".utf8)
        let medium = String(repeating: "y", count: 300)
        let pairs: [(ByteBuffer, [RESPValue])] = [
            (ByteBuffer(string: "+OK\r\n"), [.simpleString("OK")]),
            (ByteBuffer(string: "-ERR unknown command 'FOO'\r\n"), [.error("ERR unknown command 'FOO'")]),
            (ByteBuffer(string: ":42\r\n"), [.integer(42)]),
            (ByteBuffer(string: ":-9223372036854775808\r\n"), [.integer(.min)]),
            (ByteBuffer(string: "$5\r\nhello\r\n"), [bulk("hello")]),
            (ByteBuffer(string: "$0\r\n\r\n"), [bulk("")]),
            (ByteBuffer(string: "$-1\r\n"), [.bulkString(nil)]),
            (ByteBuffer(string: "*-1\r\n"), [.array(nil)]),
            (ByteBuffer(string: "*0\r\n"), [.array([])]),
            (ByteBuffer(bytes: Array("$\(binary.count)\r\n".utf8) + binary + Array("\r\n".utf8)), [bulk(binary)]),
            (
                ByteBuffer(string: "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nabc\r\n"),
                [.array([bulk("message"), bulk("ch"), bulk("abc")])]
            ),
            (
                ByteBuffer(string: "*3\r\n*2\r\n:1\r\n$-1\r\n*-1\r\n*1\r\n*0\r\n"),
                [.array([.array([.integer(1), .bulkString(nil)]), .array(nil), .array([.array([])])])]
            ),
            (ByteBuffer(string: "+PONG\r\n:1\r\n"), [.simpleString("PONG"), .integer(1)]),
            (ByteBuffer(string: "$300\r\n\(medium)\r\n"), [bulk(medium)]),
        ]
        XCTAssertNoThrow(
            try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { RESPDecoder() }
        )
    }

    func testNestedArraysNullsAndErrorsDecodeThroughAChannel() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        let input = "*2\r\n*2\r\n$1\r\na\r\n*1\r\n:7\r\n$-1\r\n" + "-WRONGPASS invalid username-password pair\r\n"
            + "*-1\r\n"
        XCTAssertNoThrow(try channel.writeInbound(ByteBuffer(string: input)))

        XCTAssertEqual(
            try channel.readInbound(as: RESPValue.self),
            .array([.array([bulk("a"), .array([.integer(7)])]), .bulkString(nil)])
        )
        XCTAssertEqual(try channel.readInbound(as: RESPValue.self), .error("WRONGPASS invalid username-password pair"))
        XCTAssertEqual(try channel.readInbound(as: RESPValue.self), .array(nil))
        XCTAssertNil(try channel.readInbound(as: RESPValue.self))
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testABadTypeByteIsAProtocolErrorAndLaterInputIsRefused() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        XCTAssertNoThrow(try channel.writeInbound(ByteBuffer(string: ":1\r\n")))
        XCTAssertEqual(try channel.readInbound(as: RESPValue.self), .integer(1))

        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(string: "?what\r\n"))) { error in
            guard let error = error as? RedisProtocolError else {
                return XCTFail("expected RedisProtocolError, got \(error)")
            }
            XCTAssertTrue(error.reason.contains("reply type byte"), error.reason)
        }
        // The decoder is done: more bytes produce nothing.
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(string: ":2\r\n")))
        XCTAssertNil(try channel.readInbound(as: RESPValue.self))
        _ = try? channel.finish()
    }

    func testABadLengthIsAProtocolError() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(string: "$abc\r\nxyz\r\n"))) { error in
            XCTAssertTrue(error is RedisProtocolError, "\(error)")
        }
        _ = try? channel.finish()
    }

    func testArraysNestedDeeperThanHiredisSupportsAreAProtocolError() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        let deep = String(repeating: "*1\r\n", count: 12) + ":1\r\n"
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(string: deep))) { error in
            XCTAssertTrue(error is RedisProtocolError, "\(error)")
        }
        _ = try? channel.finish()
    }

    func testCompleteRepliesBeforeEOFAreDeliveredAndAPartialTailIsDropped() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        XCTAssertNoThrow(try channel.writeInbound(ByteBuffer(string: ":1\r\n:2\r\n$10\r\npartial")))
        XCTAssertEqual(try channel.readInbound(as: RESPValue.self), .integer(1))
        XCTAssertEqual(try channel.readInbound(as: RESPValue.self), .integer(2))
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testRemovingTheDecoderMidReplyFreesItsReaderCleanly() throws {
        let channel = EmbeddedChannel()
        let handler = ByteToMessageHandler(RESPDecoder())
        XCTAssertNoThrow(try channel.pipeline.syncOperations.addHandler(handler))
        XCTAssertNoThrow(try channel.writeInbound(ByteBuffer(string: "*2\r\n$3\r\nabc\r\n")))
        var removed = false
        channel.pipeline.syncOperations.removeHandler(handler).assumeIsolated().whenSuccess { removed = true }
        channel.embeddedEventLoop.run()
        XCTAssertTrue(removed)
        XCTAssertNil(try channel.readInbound(as: RESPValue.self))
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testRepliesLargerThanTheReaderBufferDecodeFromSmallChunks() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        let payload = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var wire = ByteBuffer(bytes: Array("$\(payload.count)\r\n".utf8) + payload + Array("\r\n:5\r\n".utf8))
        while wire.readableBytes > 0 {
            let chunk = wire.readSlice(length: min(4_096, wire.readableBytes))
            XCTAssertNoThrow(try channel.writeInbound(chunk))
        }
        XCTAssertEqual(try channel.readInbound(as: RESPValue.self), .bulkString(ByteBuffer(bytes: payload)))
        XCTAssertEqual(try channel.readInbound(as: RESPValue.self), .integer(5))
        XCTAssertTrue(try channel.finish().isClean)
    }
}
