import NIOCore
import NIOEmbedded
import XCTest
import WSBridgeCore
import WSBridgeDeflate
@testable import WSBridgeEdge

/// permessage-deflate (RFC 7692) at the edge: the negotiation in the 101, compressed deliveries (once
/// per message), compressed client messages inflated within `max_message_bytes`, and the RSV1 rules.
final class PermessageDeflateTests: XCTestCase {
    private static let offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"

    private func upgraded(
        _ settings: EdgeSettings = EdgeSettings(), extensions: String = PermessageDeflateTests.offer
    ) throws -> (EdgeHarness, String) {
        let harness = try self.edgeHarness(settings: settings)
        let response = try harness.handshake(path: "/ws?user=alice", extraHeaders: extensions)
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 101"), response)
        return (harness, response)
    }

    private func delivery(_ text: String, isBinary: Bool = false) -> Delivery {
        Delivery(
            envelope: Envelope(target: .user("alice"), payload: ByteBuffer(string: text), isBinary: isBinary),
            source: .embedded, arrivedAt: .now()
        )
    }

    private func compressed(_ text: String, windowBits: Int = 15) -> [UInt8] {
        var output = ByteBuffer()
        MessageDeflater(windowBits: windowBits).compress(ByteBuffer(string: text), into: &output)
        return Array(output.readableBytesView)
    }

    private func inflated(_ payload: ByteBuffer) throws -> String {
        let inflater = MessageInflater()
        var output = ByteBuffer()
        try inflater.inflate(payload, into: &output, limit: 1 << 24)
        try inflater.finish(into: &output, limit: 1 << 24)
        return String(buffer: output)
    }

    /// Text that compresses well and is above the default `deflate_min_bytes`.
    private let longText = String(repeating: "wsbridge compresses a broadcast once. ", count: 40)

    // MARK: Negotiation

    func testAnOfferIsAnsweredWithNoContextTakeoverBothWays() throws {
        let (_, response) = try self.upgraded()
        XCTAssertTrue(
            response.contains(
                "\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n"),
            response)
    }

    func testAServerWindowAskedForIsHonoured() throws {
        let (harness, response) = try self.upgraded(
            extensions: "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n")
        XCTAssertTrue(response.contains("; server_max_window_bits=10\r\n"), response)
        harness.router.dispatch([self.delivery(self.longText)])
        let frames = try harness.readWrittenFrames()
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(frames.first?.compressed, true)
        XCTAssertEqual(try frames.first.map { try self.inflated($0.payload) }, self.longText)
    }

    func testAnUnacceptableOfferGetsNoExtensionAndPlainFrames() throws {
        let (harness, response) = try self.upgraded(
            extensions: "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=8\r\n")
        XCTAssertFalse(response.contains("Sec-WebSocket-Extensions"), response)
        harness.router.dispatch([self.delivery(self.longText)])
        let frames = try harness.readWrittenFrames()
        XCTAssertEqual(frames.map(\.compressed), [false])
        XCTAssertEqual(frames.first.map { String(buffer: $0.payload) }, self.longText)
    }

    func testTurnedOffTheOfferIsIgnoredAndRSV1IsAProtocolError() throws {
        var settings = EdgeSettings()
        settings.permessageDeflate = false
        let (harness, response) = try self.upgraded(settings)
        XCTAssertFalse(response.contains("Sec-WebSocket-Extensions"), response)
        try harness.sendFrame(opcode: 0x1, payload: self.compressed("hello"), rsv1: true)
        XCTAssertEqual(try harness.readCloseCode(), 1002)
        XCTAssertTrue(harness.events.messages.isEmpty)
    }

    // MARK: Server messages

    func testADeliveryAboveTheThresholdIsCompressedAndCounted() throws {
        let (harness, _) = try self.upgraded()
        harness.router.dispatch([self.delivery(self.longText)])
        let frames = try harness.readWrittenFrames()
        XCTAssertEqual(frames.map(\.opcode), [0x1])
        XCTAssertEqual(frames.map(\.compressed), [true])
        let payload = try XCTUnwrap(frames.first?.payload)
        XCTAssertLessThan(payload.readableBytes, self.longText.utf8.count / 4)
        XCTAssertEqual(try self.inflated(payload), self.longText)
        XCTAssertEqual(harness.edge.counters.deflateUpgrades.load(ordering: .relaxed), 1)
        XCTAssertEqual(harness.edge.counters.deflatedMessages.load(ordering: .relaxed), 1)
        XCTAssertEqual(harness.edge.counters.deflateBytesIn.load(ordering: .relaxed), self.longText.utf8.count)
        XCTAssertEqual(harness.edge.counters.deflateBytesOut.load(ordering: .relaxed), payload.readableBytes)
    }

    func testADeliveryBelowTheThresholdGoesUncompressed() throws {
        var settings = EdgeSettings()
        settings.deflateMinBytes = 1000
        let (harness, _) = try self.upgraded(settings)
        let text = String(self.longText.prefix(999))
        harness.router.dispatch([self.delivery(text)])
        let frames = try harness.readWrittenFrames()
        XCTAssertEqual(frames.map(\.compressed), [false])
        XCTAssertEqual(frames.first.map { String(buffer: $0.payload) }, text)
        XCTAssertEqual(harness.edge.counters.deflatedMessages.load(ordering: .relaxed), 0)
    }

    func testAMessageThatWouldNotShrinkGoesUncompressed() throws {
        let (harness, _) = try self.upgraded()
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<2000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let delivery = Delivery(
            envelope: Envelope(target: .user("alice"), payload: ByteBuffer(bytes: noise), isBinary: true),
            source: .embedded, arrivedAt: .now())
        harness.router.dispatch([delivery])
        let frames = try harness.readWrittenFrames()
        XCTAssertEqual(frames.map(\.opcode), [0x2])
        XCTAssertEqual(frames.map(\.compressed), [false])
        XCTAssertEqual(frames.first.map { Array($0.payload.readableBytesView) }, noise)
    }

    func testOneMessageIsCompressedOnceForEveryRecipientWithTheSameWindow() throws {
        let counters = EdgeCounters()
        let delivery = self.delivery(self.longText)
        let first = FrameCompression.frame(for: delivery, windowBits: 15, counters: counters)
        let copy = delivery.restricted(toUsers: [0])  // the shards' copies share the cache
        let second = FrameCompression.frame(for: copy, windowBits: 15, counters: counters)
        XCTAssertEqual(first, second)
        XCTAssertEqual(counters.deflatedMessages.load(ordering: .relaxed), 1)
        let other = FrameCompression.frame(for: delivery, windowBits: 9, counters: counters)
        XCTAssertEqual(counters.deflatedMessages.load(ordering: .relaxed), 2, "another window is another compression")
        XCTAssertEqual(other.getInteger(at: other.readerIndex, as: UInt8.self), 0xC1, "FIN, RSV1, text")
    }

    func testAnAppsSendIsCompressedForItsConnection() throws {
        let (harness, _) = try self.upgraded()
        let connection = try harness.channel.pipeline.syncOperations.handler(type: WebSocketConnection.self)
        connection.send(ByteBuffer(string: self.longText), isBinary: false)
        let frames = try harness.readWrittenFrames()
        XCTAssertEqual(frames.map(\.compressed), [true])
        XCTAssertEqual(try frames.first.map { try self.inflated($0.payload) }, self.longText)
    }

    func testControlFramesAreNeverCompressed() throws {
        var settings = EdgeSettings()
        settings.deflateMinBytes = 0
        let (harness, _) = try self.upgraded(settings)
        try harness.sendFrame(opcode: 0x9, payload: Array(String(repeating: "p", count: 125).utf8))
        let frames = try harness.readWrittenFrames()
        XCTAssertEqual(frames.map(\.opcode), [0xA])
        XCTAssertEqual(frames.map(\.compressed), [false])
    }

    // MARK: Client messages

    func testACompressedClientMessageReachesTheSinkInflated() throws {
        let (harness, _) = try self.upgraded()
        try harness.sendFrame(opcode: 0x1, payload: self.compressed(self.longText), rsv1: true)
        try harness.sendFrame(opcode: 0x1, payload: Array("plain".utf8))
        XCTAssertEqual(harness.events.messages.map(\.0), [self.longText, "plain"], "compression is per message")
        XCTAssertEqual(harness.edge.counters.inflatedMessages.load(ordering: .relaxed), 1)
    }

    func testACompressedMessageInFragmentsIsInflatedWhole() throws {
        let (harness, _) = try self.upgraded()
        let bytes = self.compressed(self.longText)
        let third = bytes.count / 3
        try harness.sendFrame(opcode: 0x1, payload: Array(bytes[..<third]), fin: false, rsv1: true)
        try harness.sendFrame(opcode: 0x9, payload: [])
        try harness.sendFrame(opcode: 0x0, payload: Array(bytes[third..<(2 * third)]), fin: false)
        try harness.sendFrame(opcode: 0x0, payload: Array(bytes[(2 * third)...]), fin: true)
        XCTAssertEqual(harness.events.messages.map(\.0), [self.longText])
        XCTAssertEqual(try harness.readFrames().map(\.opcode), [0xA])
    }

    func testAnEmptyCompressedMessageIsAnEmptyMessage() throws {
        let (harness, _) = try self.upgraded()
        try harness.sendFrame(opcode: 0x1, payload: [0x00], rsv1: true)
        XCTAssertEqual(harness.events.messages.map(\.0), [""])
    }

    func testRSV1OnAContinuationIsAProtocolError() throws {
        let (harness, _) = try self.upgraded()
        try harness.sendFrame(opcode: 0x1, payload: Array("a".utf8), fin: false)
        try harness.sendFrame(opcode: 0x0, payload: Array("b".utf8), fin: true, rsv1: true)
        XCTAssertEqual(try harness.readCloseCode(), 1002)
        XCTAssertTrue(harness.events.messages.isEmpty)
    }

    func testRSV1OnAControlFrameIsAProtocolError() throws {
        let (harness, _) = try self.upgraded()
        try harness.sendFrame(opcode: 0x9, payload: [], rsv1: true)
        XCTAssertEqual(try harness.readCloseCode(), 1002)
    }

    func testAZipBombIsClosedWith1009NotInflated() throws {
        var settings = EdgeSettings()
        settings.maxMessageBytes = 64 * 1024
        let (harness, _) = try self.upgraded(settings)
        let bomb = self.compressed(String(repeating: "\0", count: 16 << 20))
        XCTAssertLessThan(bomb.count, settings.maxMessageBytes, "a small frame that inflates to 16 MiB")
        try harness.sendFrame(opcode: 0x2, payload: bomb, rsv1: true)
        XCTAssertEqual(try harness.readCloseCode(), 1009)
        XCTAssertTrue(harness.events.messages.isEmpty)
        XCTAssertEqual(harness.shardCounters.limitHits[.messageTooBig], 1)
    }

    func testAMessageAtTheLimitStillInflates() throws {
        var settings = EdgeSettings()
        settings.maxMessageBytes = 4096
        let (harness, _) = try self.upgraded(settings)
        let text = String(repeating: "x", count: 4096)
        try harness.sendFrame(opcode: 0x1, payload: self.compressed(text), rsv1: true)
        XCTAssertEqual(harness.events.messages.map(\.0), [text])
        try harness.sendFrame(opcode: 0x1, payload: self.compressed(text + "y"), rsv1: true)
        XCTAssertEqual(try harness.readCloseCode(), 1009)
    }

    func testDataThatIsNotDeflateIsClosedWith1007() throws {
        let (harness, _) = try self.upgraded()
        try harness.sendFrame(opcode: 0x1, payload: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF], rsv1: true)
        XCTAssertEqual(try harness.readCloseCode(), 1007)
        XCTAssertTrue(harness.events.messages.isEmpty)
    }

    func testCompressedTextThatIsNotUTF8IsClosedWith1007() throws {
        let (harness, _) = try self.upgraded()
        var output = ByteBuffer()
        MessageDeflater().compress(ByteBuffer(bytes: [0x68, 0x69, 0xC0, 0xAF]), into: &output)
        try harness.sendFrame(opcode: 0x1, payload: Array(output.readableBytesView), rsv1: true)
        XCTAssertEqual(try harness.readCloseCode(), 1007)
        XCTAssertTrue(harness.events.messages.isEmpty)
    }
}
