import NIOCore
import NIOEmbedded
@testable import WSBridgeBroker
import XCTest

/// The subscriber's health check, driven by the embedded event loop's clock (interval 1 s).
final class RedisSubscriberHealthTests: XCTestCase {
    private static let ping = "*1\r\n$4\r\nPING\r\n"
    private static let pong = "*2\r\n$4\r\npong\r\n$0\r\n\r\n"

    private var channel: EmbeddedChannel!
    private var batches: [[String]] = []
    private var ignored: [RESPValue] = []
    private var linked = 0
    private var closed: [RedisConnectionLoss] = []

    private func start(healthInterval: TimeAmount? = .seconds(1)) throws {
        let events = RedisConnectionSupervisor.Events(
            linked: { _ in self.linked += 1 },
            closed: { self.closed.append($0) },
            isCurrent: { self.linked > 0 }
        )
        let target = RedisConnectionTarget(address: .tcp(host: "127.0.0.1", port: 1))
        let handler = RedisSubscriberHandler(
            channel: "ch",
            handshake: .subscriber(target: target, channel: "ch"),
            healthInterval: healthInterval,
            events: events,
            received: { self.batches.append($0.map { String(buffer: $0) }) },
            ignored: { self.ignored.append($0) }
        )
        self.channel = EmbeddedChannel()
        try self.channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(RESPDecoder()), MessageToByteHandler(RESPCommandEncoder()), handler,
        ])
        try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    }

    private func link() throws {
        try self.channel.writeInbound(ByteBuffer(string: "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"))
        XCTAssertEqual(self.linked, 1)
        _ = try self.written()
    }

    private func advance(_ milliseconds: Int64) {
        self.channel.embeddedEventLoop.advanceTime(by: .milliseconds(milliseconds))
    }

    private func written() throws -> String {
        var text = ""
        while let buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    private func message(_ payload: String) -> String {
        "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$\(payload.utf8.count)\r\n\(payload)\r\n"
    }

    private func assertClosedAsUnresponsive(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(self.channel.isActive, file: file, line: line)
        guard self.closed.count == 1, case .unresponsive(let interval) = self.closed[0] else {
            return XCTFail("\(self.closed)", file: file, line: line)
        }
        XCTAssertEqual(interval, .seconds(1), file: file, line: line)
    }

    func testAQuietLinkIsPingedAfterTheInterval() throws {
        try self.start()
        try self.link()
        self.advance(999)
        XCTAssertEqual(try self.written(), "")
        self.advance(1)
        XCTAssertEqual(try self.written(), Self.ping)
        XCTAssertNoThrow(try self.channel.finish())
    }

    func testThePongIsNeitherDeliveredNorCountedAsIgnored() throws {
        try self.start()
        try self.link()
        self.advance(1000)
        XCTAssertEqual(try self.written(), Self.ping)
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: Self.pong)))
        self.advance(1500)
        XCTAssertTrue(self.channel.isActive, "the pong proved the link alive")
        XCTAssertEqual(self.ignored, [])
        XCTAssertEqual(self.batches, [])
        XCTAssertEqual(self.closed.count, 0)
        XCTAssertNoThrow(try self.channel.finish())
    }

    func testNoAnswerWithinTheNextIntervalClosesTheLinkAsUnresponsive() throws {
        try self.start()
        try self.link()
        self.advance(1000)
        XCTAssertEqual(try self.written(), Self.ping)
        self.advance(999)
        XCTAssertTrue(self.channel.isActive)
        self.advance(1)
        self.assertClosedAsUnresponsive()
        let reason = self.closed.first.map { "\($0)" } ?? "(not closed)"
        XCTAssertTrue(reason.contains("no answer to PING"), reason)
    }

    func testAnyReadResetsTheTimer() throws {
        try self.start()
        try self.link()
        self.advance(800)
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: self.message("a"))))
        self.advance(800)
        XCTAssertEqual(try self.written(), "", "silent for 800 ms only")
        self.advance(200)
        XCTAssertEqual(try self.written(), Self.ping)
        // Part of a message (no complete reply yet) still proves the link alive.
        self.advance(500)
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: "*3\r\n$7\r\nmess")))
        self.advance(999)
        XCTAssertTrue(self.channel.isActive)
        XCTAssertEqual(try self.written(), "")
        self.advance(1)
        XCTAssertEqual(try self.written(), Self.ping, "a new PING after another quiet interval")
        self.advance(1000)
        self.assertClosedAsUnresponsive()
        XCTAssertEqual(self.batches, [["a"]])
    }

    func testTheHandshakeIsNotPinged() throws {
        try self.start()
        _ = try self.written()
        self.advance(10_000)
        XCTAssertEqual(try self.written(), "", "the connect timeout bounds the handshake")
        XCTAssertTrue(self.channel.isActive)
        XCTAssertNoThrow(try self.channel.finish())
    }

    func testNoIntervalMeansNoCheck() throws {
        try self.start(healthInterval: nil)
        try self.link()
        self.advance(3_600_000)
        XCTAssertEqual(try self.written(), "")
        XCTAssertTrue(self.channel.isActive)
        XCTAssertNoThrow(try self.channel.finish())
    }
}
