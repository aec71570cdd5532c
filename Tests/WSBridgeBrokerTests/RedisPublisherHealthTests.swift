import NIOCore
import NIOEmbedded
@testable import WSBridgeBroker
import XCTest

/// The publisher's health check, driven by the embedded event loop's clock (interval 1 s): its `PING`s
/// share the reply queue with the publishes.
final class RedisPublisherHealthTests: XCTestCase {
    private var channel: EmbeddedChannel!
    private var closed: [RedisConnectionLoss] = []

    override func setUpWithError() throws {
        self.closed = []
        let events = RedisConnectionSupervisor.Events(
            linked: { _ in },
            closed: { self.closed.append($0) },
            isCurrent: { true }
        )
        let target = RedisConnectionTarget(address: .tcp(host: "127.0.0.1", port: 1))
        let handler = RedisPublisherHandler(
            handshake: .publisher(target: target), healthInterval: .seconds(1), events: events
        )
        self.channel = EmbeddedChannel()
        try self.channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(RESPDecoder()), MessageToByteHandler(RESPCommandEncoder()), handler,
        ])
        try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        XCTAssertEqual(try self.written(), "*1\r\n$4\r\nPING\r\n", "the handshake")
        try self.channel.writeInbound(ByteBuffer(string: "+PONG\r\n"))
    }

    private func written() throws -> String {
        var text = ""
        while let buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    private func publish(_ message: String) -> EventLoopFuture<RESPValue> {
        let promise = self.channel.eventLoop.makePromise(of: RESPValue.self)
        let command = RedisCommand.publish(channel: "ch", message: ByteBuffer(string: message))
        self.channel.writeAndFlush(RedisRequest(command: command, promise: promise), promise: nil)
        return promise.futureResult
    }

    private static func publishCommand(_ message: String) -> String {
        "*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$\(message.utf8.count)\r\n\(message)\r\n"
    }

    private func result(_ future: EventLoopFuture<RESPValue>) -> Result<RESPValue, any Error>? {
        var result: Result<RESPValue, any Error>?
        future.assumeIsolated().whenComplete { result = $0 }
        return result
    }

    func testThePingTakesItsPlaceAmongThePublishes() throws {
        let first = self.publish("a")
        self.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let second = self.publish("b")
        XCTAssertEqual(try self.written(), Self.publishCommand("a") + "*1\r\n$4\r\nPING\r\n" + Self.publishCommand("b"))

        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: ":1\r\n")))
        XCTAssertNotNil(try? self.result(first)?.get())
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: "+PONG\r\n")))
        XCTAssertNil(self.result(second), "the PONG answered the PING, not the publish written after it")
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: "-ERR b refused\r\n")))
        guard case .success(let reply)? = self.result(second) else { return XCTFail("b not completed") }
        XCTAssertEqual(reply, .error("ERR b refused"), "an error reply is the request's reply, for the caller to judge")
        XCTAssertTrue(self.channel.isActive)
        XCTAssertEqual(self.closed.count, 0)
        XCTAssertNoThrow(try self.channel.finish())
    }

    func testNoReplyClosesTheLinkAndFailsThePendingPublishes() throws {
        let first = self.publish("a")
        self.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let second = self.publish("b")
        XCTAssertEqual(try self.written(), Self.publishCommand("a") + "*1\r\n$4\r\nPING\r\n" + Self.publishCommand("b"))
        self.channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        XCTAssertTrue(self.channel.isActive)
        self.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))

        XCTAssertFalse(self.channel.isActive)
        for future in [first, second] {
            guard case .failure(let error)? = self.result(future) else { return XCTFail("still pending") }
            XCTAssertEqual(error as? RedisBrokerError, .connectionLost)
        }
        guard self.closed.count == 1, case .unresponsive(.seconds(1)) = self.closed[0] else {
            return XCTFail("\(self.closed)")
        }
    }

    func testAnUnexpectedAnswerToThePingClosesTheLink() throws {
        self.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertEqual(try self.written(), "*1\r\n$4\r\nPING\r\n")
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: ":1\r\n")))
        XCTAssertFalse(self.channel.isActive)
        guard self.closed.count == 1, case .unexpectedReply(command: "PING", _) = self.closed[0] else {
            return XCTFail("\(self.closed)")
        }
    }
}
