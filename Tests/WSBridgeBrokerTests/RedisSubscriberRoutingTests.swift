import NIOCore
import NIOEmbedded
@testable import WSBridgeBroker
import XCTest

/// Per-user routing on the subscriber connection: the users held when it connects are subscribed in
/// its handshake (the link comes once they are confirmed), `smessage` pushes of a user's channel join the
/// batch, confirmations on a linked connection are reported after the read burst.
final class RedisSubscriberRoutingTests: XCTestCase {
    private var channel: EmbeddedChannel!
    private var batches: [[String]] = []
    private var subscribed: [[String]] = []
    private var ignored: [RESPValue] = []
    private var linked = 0

    private func connect(sharded: [String]) throws {
        let events = RedisConnectionSupervisor.Events(
            linked: { _ in self.linked += 1 }, closed: { _ in }, isCurrent: { self.linked > 0 })
        let target = RedisConnectionTarget(address: .tcp(host: "127.0.0.1", port: 1))
        let handler = RedisSubscriberHandler(
            channel: "ch",
            handshake: .subscriber(target: target, channels: ["ch"], sharded: sharded.map { RedisFunctionLibrary.userChannel($0, of: "ch") }),
            events: events,
            received: { self.batches.append($0.map { String(buffer: $0) }) },
            subscribed: { self.subscribed.append($0) },
            ignored: { self.ignored.append($0) }
        )
        self.channel = EmbeddedChannel()
        try self.channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(RESPDecoder()), MessageToByteHandler(RESPCommandEncoder()), handler,
        ])
        try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
    }

    private func push(_ kind: String, _ channel: String, _ last: String) -> String {
        let tail = last.hasPrefix(":") ? last + "\r\n" : "$\(last.utf8.count)\r\n\(last)\r\n"
        return "*3\r\n$\(kind.utf8.count)\r\n\(kind)\r\n$\(channel.utf8.count)\r\n\(channel)\r\n" + tail
    }

    private func written() throws -> String {
        var text = ""
        while let buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    func testTheUsersHeldWhenItConnectsAreSubscribedBeforeTheLinkIsReported() throws {
        try self.connect(sharded: ["alice", "bob"])
        let written = try self.written()
        XCTAssertTrue(written.hasSuffix("*3\r\n$10\r\nSSUBSCRIBE\r\n$12\r\nch:{u:alice}\r\n$10\r\nch:{u:bob}\r\n"), written)
        try self.channel.writeInbound(ByteBuffer(string: self.push("subscribe", "ch", ":1") + self.push("ssubscribe", "ch:{u:alice}", ":1")))
        XCTAssertEqual(self.linked, 0, "not linked before every user is in place")
        try self.channel.writeInbound(ByteBuffer(string: self.push("ssubscribe", "ch:{u:bob}", ":2")))
        XCTAssertEqual(self.linked, 1)
        XCTAssertEqual(self.subscribed, [], "the handshake's users are covered by the link itself")
        XCTAssertNoThrow(try self.channel.finish())
    }

    func testAUsersMessagesJoinTheBatchAndLaterConfirmationsAreReported() throws {
        try self.connect(sharded: [])
        _ = try self.written()
        try self.channel.writeInbound(ByteBuffer(string: self.push("subscribe", "ch", ":1")))
        XCTAssertEqual(self.linked, 1)
        let burst = self.push("ssubscribe", "ch:{u:carol}", ":1") + self.push("ssubscribe", "ch:{u:d{x}}", ":2")
            + self.push("smessage", "ch:{u:carol}", "one") + self.push("message", "ch", "two")
            + self.push("smessage", "other:{u:carol}", "not ours") + self.push("sunsubscribe", "ch:{u:carol}", ":1")
        try self.channel.writeInbound(ByteBuffer(string: burst))
        XCTAssertEqual(self.batches, [["one", "two"]], "in arrival order, both kinds")
        XCTAssertEqual(self.subscribed, [["carol", "d{x}"]], "once per burst; a brace in a user id is kept")
        XCTAssertEqual(self.ignored.count, 1, "only the message of a channel that is not ours")
        XCTAssertNoThrow(try self.channel.finish())
    }
}
