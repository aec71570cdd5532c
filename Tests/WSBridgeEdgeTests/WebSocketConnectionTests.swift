import NIOCore
import NIOEmbedded
import XCTest
import WSBridgeCore
@testable import WSBridgeEdge

final class WebSocketConnectionTests: XCTestCase {
    /// An upgraded connection; its channel must finish clean when the test ends.
    private func upgraded(
        _ settings: EdgeSettings = EdgeSettings(), user: String = "alice", file: StaticString = #filePath, line: UInt = #line
    ) throws -> EdgeHarness {
        let harness = try self.edgeHarness(settings: settings, file: file, line: line)
        let response = try harness.handshake(path: "/ws?user=\(user)")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 101"), response)
        return harness
    }

    private func connection(_ harness: EdgeHarness) throws -> WebSocketConnection {
        try harness.channel.pipeline.syncOperations.handler(type: WebSocketConnection.self)
    }

    private func delivery(_ text: String, to target: DeliveryTarget) -> Delivery {
        Delivery(
            envelope: Envelope(target: target, payload: ByteBuffer(string: text), isBinary: false),
            source: .embedded, arrivedAt: .now()
        )
    }

    func testATextMessageReachesTheSink() throws {
        let harness = try self.upgraded()
        try harness.sendFrame(opcode: 0x1, payload: Array("hello".utf8))
        XCTAssertEqual(harness.events.messages.map(\.0), ["hello"])
        XCTAssertEqual(harness.events.messages.map(\.1), [false])
    }

    func testFragmentsAreReassembledAcrossAnInterleavedPing() throws {
        let harness = try self.upgraded()
        try harness.sendFrame(opcode: 0x2, payload: [1, 2], fin: false)
        try harness.sendFrame(opcode: 0x9, payload: Array("p".utf8))
        try harness.sendFrame(opcode: 0x0, payload: [3], fin: false)
        try harness.sendFrame(opcode: 0x0, payload: [4], fin: true)
        XCTAssertEqual(harness.events.messages.count, 1)
        XCTAssertEqual(harness.events.messages.first?.1, true)
        let frames = try harness.readFrames()
        XCTAssertEqual(frames.map(\.opcode), [0xA], "the ping is answered with a pong")
        XCTAssertEqual(frames.first.map { String(buffer: $0.payload) }, "p")
    }

    func testAPingIsAnsweredWithItsPayload() throws {
        let harness = try self.upgraded()
        try harness.sendFrame(opcode: 0x9, payload: Array("abc".utf8))
        let frames = try harness.readFrames()
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(frames.first?.opcode, 0xA)
        XCTAssertEqual(frames.first.map { String(buffer: $0.payload) }, "abc")
    }

    func testACloseFrameIsEchoedAndTheConnectionClosed() throws {
        let harness = try self.upgraded()
        try harness.sendFrame(opcode: 0x8, payload: [0x03, 0xE8] + Array("bye".utf8))
        XCTAssertEqual(try harness.readCloseCode(), 1000)
        XCTAssertFalse(harness.channel.isActive)
        XCTAssertEqual(harness.events.closed.first?.1, .normal)
        XCTAssertEqual(harness.shardCounters.disconnects, ["1000": 1])
    }

    func testAnUnmaskedFrameIsAProtocolError() throws {
        let harness = try self.upgraded()
        try harness.sendFrame(opcode: 0x1, payload: Array("x".utf8), masked: false)
        XCTAssertEqual(try harness.readCloseCode(), 1002)
        XCTAssertTrue(harness.events.messages.isEmpty)
    }

    /// Writes the first `count` bytes of `frame` only (the rest never comes).
    private func sendPart(of frame: ByteBuffer, count: Int, to harness: EdgeHarness) throws {
        try harness.channel.writeInbound(frame.getSlice(at: frame.readerIndex, length: count)!)
    }

    func testInvalidUTF8FailsTheConnectionBeforeItsFrameEnds() throws {
        let harness = try self.upgraded()
        // "κόσμε", then a byte no UTF-8 text may hold, in a frame that announces 1,000 bytes.
        let text = Array("κόσμε".utf8) + [0xF8] + Array(repeating: UInt8(ascii: "a"), count: 989)
        let frame = EdgeHarness.clientFrame(opcode: 0x1, payload: text)
        try self.sendPart(of: frame, count: 8 + 8, to: harness)  // header + mask + 8 good bytes
        XCTAssertTrue(try harness.readFrames().isEmpty, "valid so far")
        try harness.channel.writeInbound(frame.getSlice(at: 16, length: 10)!)
        XCTAssertEqual(try harness.readCloseCode(), 1007, "at once, not when the 1,000 bytes are in")
        XCTAssertTrue(harness.events.messages.isEmpty)
    }

    func testATextFrameInPiecesIsStillOneMessage() throws {
        let harness = try self.upgraded()
        let text = String(repeating: "κόσμε ", count: 200)
        let frame = EdgeHarness.clientFrame(opcode: 0x1, payload: Array(text.utf8))
        var offset = 0
        for size in [3, 7, 1, 100, 333] {  // cuts inside the header, the mask and characters
            try harness.channel.writeInbound(frame.getSlice(at: offset, length: size)!)
            offset += size
        }
        try harness.channel.writeInbound(frame.getSlice(at: offset, length: frame.readableBytes - offset)!)
        XCTAssertEqual(harness.events.messages.map(\.0), [text])
        XCTAssertTrue(try harness.readFrames().isEmpty)
    }

    func testInvalidUTF8InAContinuationStillArrivingFailsFast() throws {
        let harness = try self.upgraded()
        try harness.sendFrame(opcode: 0x1, payload: [0xCE], fin: false)  // the first byte of "κ"
        let frame = EdgeHarness.clientFrame(opcode: 0x0, payload: [0x41] + Array(repeating: UInt8(ascii: "a"), count: 500))
        try self.sendPart(of: frame, count: 8 + 1, to: harness)  // 0x41 cannot continue 0xCE
        XCTAssertEqual(try harness.readCloseCode(), 1007)
    }

    func testBinaryStillArrivingIsNotCheckedAsText() throws {
        let harness = try self.upgraded()
        let frame = EdgeHarness.clientFrame(opcode: 0x2, payload: [0xF8, 0xFF] + Array(repeating: 0, count: 500))
        try self.sendPart(of: frame, count: 20, to: harness)
        XCTAssertTrue(try harness.readFrames().isEmpty)
        try harness.channel.writeInbound(frame.getSlice(at: 20, length: frame.readableBytes - 20)!)
        XCTAssertEqual(harness.events.messages.count, 1)
    }

    func testReservedBitsAreAProtocolError() throws {
        let harness = try self.upgraded()
        try harness.sendFrame(opcode: 0x1, payload: Array("x".utf8), rsv1: true)
        XCTAssertEqual(try harness.readCloseCode(), 1002)
    }

    func testAContinuationWithoutAMessageIsAProtocolError() throws {
        let harness = try self.upgraded()
        try harness.sendFrame(opcode: 0x0, payload: [1])
        XCTAssertEqual(try harness.readCloseCode(), 1002)
    }

    func testInvalidUTF8TextIsClosedWith1007() throws {
        let harness = try self.upgraded()
        try harness.sendFrame(opcode: 0x1, payload: [0x68, 0xC3, 0x28])
        XCTAssertEqual(try harness.readCloseCode(), 1007)
        XCTAssertTrue(harness.events.messages.isEmpty)
    }

    func testInvalidUTF8InAFragmentFailsAtThatFragmentNotAtTheEnd() throws {
        let harness = try self.upgraded()
        try harness.sendFrame(opcode: 0x1, payload: Array("κόσμε".utf8), fin: false)
        // F4 90: above U+10FFFF, whatever follows. The message is far from over, the close comes now.
        try harness.sendFrame(opcode: 0x0, payload: [0xF4, 0x90], fin: false)
        XCTAssertEqual(try harness.readCloseCode(), 1007)
        XCTAssertTrue(harness.events.messages.isEmpty)
    }

    func testACharacterSplitAcrossFragmentsIsFineAndAnUnfinishedOneIsNot() throws {
        let harness = try self.upgraded()
        let emoji = Array("🎉".utf8)
        try harness.sendFrame(opcode: 0x1, payload: Array(emoji[..<2]), fin: false)
        try harness.sendFrame(opcode: 0x0, payload: Array(emoji[2...]), fin: true)
        XCTAssertEqual(harness.events.messages.map(\.0), ["🎉"])

        try harness.sendFrame(opcode: 0x1, payload: Array("ok".utf8) + [0xE2, 0x82], fin: false)
        try harness.sendFrame(opcode: 0x0, payload: [], fin: true)  // the message ends inside a character
        XCTAssertEqual(try harness.readCloseCode(), 1007)
        XCTAssertEqual(harness.events.messages.count, 1)
    }

    func testAMessageInMoreFramesThanTheLimitIsClosedWith1008() throws {
        var settings = EdgeSettings()
        settings.maxMessageFragments = 3
        let harness = try self.upgraded(settings)
        try harness.sendFrame(opcode: 0x1, payload: Array("a".utf8), fin: false)
        try harness.sendFrame(opcode: 0x0, payload: Array("b".utf8), fin: false)
        try harness.sendFrame(opcode: 0x0, payload: Array("c".utf8), fin: true)  // 3 frames: fine
        XCTAssertEqual(harness.events.messages.map(\.0), ["abc"])
        try harness.sendFrame(opcode: 0x1, payload: [], fin: false)
        for _ in 0..<2 { try harness.sendFrame(opcode: 0x0, payload: [], fin: false) }
        try? harness.sendFrame(opcode: 0x0, payload: [], fin: false)  // the fourth: over the limit
        XCTAssertEqual(try harness.readCloseCode(), 1008)
        XCTAssertEqual(harness.shardCounters.limitHits[.messageFragments], 1)
        XCTAssertEqual(harness.events.messages.count, 1)
    }

    func testAClientSendingFasterThanItsRateIsClosedWith1008() throws {
        var settings = EdgeSettings()
        settings.maxClientMessagesPerSecond = 3
        let harness = try self.upgraded(settings)
        for text in ["1", "2", "3"] { try harness.sendFrame(opcode: 0x1, payload: Array(text.utf8)) }
        XCTAssertEqual(harness.events.messages.map(\.0), ["1", "2", "3"], "a burst of one second's worth")
        try? harness.sendFrame(opcode: 0x1, payload: Array("4".utf8))
        XCTAssertEqual(try harness.readCloseCode(), 1008)
        XCTAssertEqual(harness.events.messages.count, 3, "the message past the rate is not passed on")
        XCTAssertEqual(harness.shardCounters.limitHits[.clientMessageRate], 1)
    }

    func testAnOversizedFrameIsClosedWith1009() throws {
        var settings = EdgeSettings()
        settings.maxMessageBytes = 1000
        let harness = try self.upgraded(settings)
        try? harness.sendFrame(opcode: 0x2, payload: [UInt8](repeating: 7, count: 1001))
        XCTAssertEqual(try harness.readCloseCode(), 1009)
        XCTAssertEqual(harness.shardCounters.limitHits[.messageTooBig], 1)
    }

    func testAnOversizedFragmentedMessageIsClosedWith1009() throws {
        var settings = EdgeSettings()
        settings.maxMessageBytes = 1000
        let harness = try self.upgraded(settings)
        try harness.sendFrame(opcode: 0x2, payload: [UInt8](repeating: 7, count: 600), fin: false)
        try harness.sendFrame(opcode: 0x0, payload: [UInt8](repeating: 7, count: 600), fin: true)
        XCTAssertEqual(try harness.readCloseCode(), 1009)
        XCTAssertTrue(harness.events.messages.isEmpty)
    }

    func testAnOversizedFrameIsRefusedFromItsHeaderWithoutWaitingForThePayload() throws {
        var settings = EdgeSettings()
        settings.maxMessageBytes = 1000
        let harness = try self.upgraded(settings)
        let connection = try self.connection(harness)
        var header = ByteBuffer(bytes: [0x82, 0x80 | 127])
        header.writeInteger(UInt64(64 << 20))
        // What follows the header cannot be cut into frames: it is dropped, not buffered, not even a
        // close frame.
        header.writeImmutableBuffer(EdgeHarness.clientFrame(opcode: 0x8, payload: [0x03, 0xE8]))
        header.writeImmutableBuffer(EdgeHarness.clientFrame(opcode: 0x2, payload: [UInt8](repeating: 1, count: 500)))
        try harness.channel.writeInbound(header)
        var payload = try XCTUnwrap(try harness.readFrames().first { $0.opcode == 0x8 }).payload
        XCTAssertEqual(payload.readInteger(as: UInt16.self), 1009)
        XCTAssertEqual(String(buffer: payload), "frame exceeds 1000 bytes")
        XCTAssertEqual(harness.shardCounters.limitHits[.messageTooBig], 1)
        XCTAssertNil(connection.inboundStorageCapacity)
        XCTAssertTrue(harness.events.messages.isEmpty)
        XCTAssertTrue(try harness.readFrames().isEmpty)
        // Nothing more can be read, so the server shuts its side once the close frame is written
        // (on a socket, shutdown(SHUT_WR); an EmbeddedChannel closes wholly).
        XCTAssertFalse(harness.channel.isActive)
    }

    func testA64BitLengthWithTheTopBitSetIsAProtocolError() throws {
        let harness = try self.upgraded()
        var header = ByteBuffer(bytes: [0x82, 0x80 | 127])
        header.writeInteger(UInt64.max)
        try harness.channel.writeInbound(header)
        XCTAssertEqual(try harness.readCloseCode(), 1002)
        XCTAssertNil(harness.shardCounters.limitHits[.messageTooBig])
    }

    func testAnIdleConnectionHoldsNoInboundBuffer() throws {
        let harness = try self.upgraded()
        let connection = try self.connection(harness)
        XCTAssertNil(connection.inboundStorageCapacity, "nothing after the handshake")
        try harness.sendFrame(opcode: 0x1, payload: Array("hello".utf8))
        XCTAssertEqual(harness.events.messages.map(\.0), ["hello"])
        XCTAssertNil(connection.inboundStorageCapacity, "nothing after a whole frame")
    }

    func testAFrameSplitAcrossReadsIsReceivedOnceCompleteAndThenNothingIsHeld() throws {
        let harness = try self.upgraded()
        let connection = try self.connection(harness)
        let payload = (0..<300).map { UInt8(truncatingIfNeeded: $0) }
        var frame = EdgeHarness.clientFrame(opcode: 0x2, payload: payload)
        while let byte = frame.readSlice(length: 1) {
            XCTAssertTrue(harness.events.messages.isEmpty)
            try harness.channel.writeInbound(byte)
        }
        XCTAssertEqual(harness.events.messages.count, 1)
        XCTAssertEqual(harness.events.messages.first?.0, String(decoding: payload, as: UTF8.self))
        XCTAssertNil(connection.inboundStorageCapacity)
    }

    func testSeveralFramesInOneReadAreAllReceivedAndARemainderIsCopiedOutOfTheReadBuffer() throws {
        let harness = try self.upgraded()
        let connection = try self.connection(harness)
        // A large read buffer, as NIO's receive buffers grow to: the unfinished frame at its end must
        // not keep all of it allocated.
        var read = ByteBufferAllocator().buffer(capacity: 64 * 1024)
        var first = EdgeHarness.clientFrame(opcode: 0x1, payload: Array("one".utf8))
        var second = EdgeHarness.clientFrame(opcode: 0x1, payload: Array("two".utf8))
        var third = EdgeHarness.clientFrame(opcode: 0x1, payload: Array("three".utf8))
        read.writeBuffer(&first)
        read.writeBuffer(&second)
        read.writeImmutableBuffer(third.readSlice(length: 5)!)
        try harness.channel.writeInbound(read)
        XCTAssertEqual(harness.events.messages.map(\.0), ["one", "two"])
        let held = try XCTUnwrap(connection.inboundStorageCapacity)
        XCTAssertLessThan(held, 1024, "the 5 bytes of the third frame, not the 64 KiB read buffer")
        try harness.channel.writeInbound(third)
        XCTAssertEqual(harness.events.messages.map(\.0), ["one", "two", "three"])
        XCTAssertNil(connection.inboundStorageCapacity)
    }

    func testFramesAfterTheClientsCloseFrameAreIgnored() throws {
        let harness = try self.upgraded()
        var read = EdgeHarness.clientFrame(opcode: 0x1, payload: Array("before".utf8))
        var close = EdgeHarness.clientFrame(opcode: 0x8, payload: [0x03, 0xE8])
        var after = EdgeHarness.clientFrame(opcode: 0x1, payload: Array("after".utf8))
        read.writeBuffer(&close)
        read.writeBuffer(&after)
        try harness.channel.writeInbound(read)
        XCTAssertEqual(harness.events.messages.map(\.0), ["before"])
        XCTAssertEqual(try harness.readFrames().map(\.opcode), [0x8], "only the close echo")
        XCTAssertFalse(harness.channel.isActive)
    }

    func testDeliveriesForTheUserAreWrittenAndOthersAreNot() throws {
        let harness = try self.upgraded(user: "alice")
        harness.router.dispatch([
            self.delivery("for alice", to: .user("alice")),
            self.delivery("for bob", to: .user("bob")),
            self.delivery("for both", to: .users(["bob", "alice"])),
            self.delivery("for all", to: .all),
        ])
        let frames = try harness.readFrames()
        XCTAssertEqual(frames.map { String(buffer: $0.payload) }, ["for alice", "for both", "for all"])
        XCTAssertEqual(frames.map(\.opcode), [0x1, 0x1, 0x1])
    }

    func testASlowConsumerIsClosedWith1008AndGetsNothingMore() throws {
        let harness = try self.upgraded()
        harness.channel.isWritable = false
        harness.channel.pipeline.fireChannelWritabilityChanged()
        XCTAssertEqual(try harness.readCloseCode(), 1008)
        harness.router.dispatch([self.delivery("late", to: .all)])
        XCTAssertTrue(try harness.readFrames().isEmpty, "no deliveries after the close frame")
        XCTAssertEqual(harness.shardCounters.limitHits[.slowConsumer], 1)
        XCTAssertEqual(harness.router.shard(for: harness.channel.eventLoop).sessionCount, 0)
    }

    func testAConnectionWhoseCloseFrameCannotBeWrittenEndsOnce() throws {
        let harness = try self.upgraded()
        try harness.failNextWrite()
        try self.connection(harness).close(.policyViolation, reason: "slow consumer")
        XCTAssertFalse(harness.channel.isActive)
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        XCTAssertEqual(harness.shardCounters.disconnects, ["1008": 1], "counted once")
        XCTAssertEqual(harness.edge.counters.openWebSockets.load(ordering: .relaxed), 0)
        XCTAssertEqual(harness.events.closed.count, 1, "apps hear of it once")
    }

    func testAClosingConnectionIsDroppedAfterTheCloseTimeout() throws {
        var settings = EdgeSettings()
        settings.closeTimeout = .seconds(1)
        let harness = try self.upgraded(settings)
        harness.channel.isWritable = false
        harness.channel.pipeline.fireChannelWritabilityChanged()
        XCTAssertTrue(harness.channel.isActive)
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        XCTAssertFalse(harness.channel.isActive)
        XCTAssertEqual(try harness.readCloseCode(), 1008, "the close frame was written; the client never answered it")
        XCTAssertEqual(harness.events.closed.first?.1, .policyViolation)
        XCTAssertEqual(harness.shardCounters.disconnects, ["1008": 1], "counted once, when the socket is gone")
    }

    func testASilentClientIsPingedThenClosedForIdleness() throws {
        var settings = EdgeSettings()
        settings.pingInterval = .seconds(10)
        settings.idleTimeout = .seconds(30)
        let harness = try self.upgraded(settings)
        let shard = harness.router.shard(for: harness.channel.eventLoop)
        shard.startHeartbeat(interval: .seconds(1))
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(11))
        XCTAssertEqual(try harness.readFrames().map(\.opcode), [0x9], "one ping after 10 s of silence")
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        XCTAssertEqual(try harness.readCloseCode(), 1001)
        XCTAssertEqual(harness.shardCounters.limitHits[.idleTimeout], 1)
        shard.stopHeartbeat()
    }

    func testAClientThatAnswersIsNotClosedForIdleness() throws {
        var settings = EdgeSettings()
        settings.pingInterval = .seconds(10)
        settings.idleTimeout = .seconds(30)
        let harness = try self.upgraded(settings)
        let shard = harness.router.shard(for: harness.channel.eventLoop)
        shard.startHeartbeat(interval: .seconds(1))
        for _ in 0..<6 {
            harness.channel.embeddedEventLoop.advanceTime(by: .seconds(10))
            try harness.sendFrame(opcode: 0xA, payload: [])
        }
        XCTAssertTrue(harness.channel.isActive)
        XCTAssertFalse(try harness.readFrames().contains { $0.opcode == 0x8 })
        shard.stopHeartbeat()
    }

    func testTheConnectionLeavesTheRegistryWhenTheSocketDrops() throws {
        let harness = try self.upgraded()
        let shard = harness.router.shard(for: harness.channel.eventLoop)
        XCTAssertEqual(shard.sessionCount, 1)
        XCTAssertTrue(shard.holds(user: "alice"))
        try harness.channel.close().wait()
        XCTAssertEqual(shard.sessionCount, 0)
        XCTAssertFalse(shard.holds(user: "alice"))
        XCTAssertEqual(harness.events.closed.count, 1)
        XCTAssertNil(harness.events.closed.first?.1)
        XCTAssertEqual(harness.shardCounters.disconnects, ["1006": 1], "no close frame")
    }

    func testAClientCloseFrameWithoutACodeIs1005() throws {
        let harness = try self.upgraded()
        try harness.sendFrame(opcode: 0x8, payload: [])
        XCTAssertFalse(harness.channel.isActive)
        let echo = try harness.readFrames()
        XCTAssertEqual(echo.map(\.opcode), [0x8], "the close is echoed")
        XCTAssertEqual(echo.first?.payload.readableBytes, 0, "without a code, as it came")
        XCTAssertEqual(harness.shardCounters.disconnects, ["1005": 1])
        XCTAssertNil(harness.events.closed.first?.1, "apps still see no code")
    }

    func testAnAppSendCountsAsADeliveryFromTheApp() throws {
        let harness = try self.upgraded()
        let connection = try harness.channel.pipeline.syncOperations.handler(type: WebSocketConnection.self)
        connection.send(ByteBuffer(string: "direct"), isBinary: false)
        XCTAssertEqual(try harness.readFrames().map(\.opcode), [0x1])
        XCTAssertEqual(harness.shardCounters.deliveries[.app], 1)
    }
}
