import NIOCore
import NIOEmbedded
@testable import WSBridgeBroker
import XCTest

final class RedisSubscriberHandlerTests: XCTestCase {
    private var channel: EmbeddedChannel!
    private var batches: [[String]] = []
    private var ignored: [RESPValue] = []
    private var linked = 0
    private var closed: [RedisConnectionLoss] = []

    override func setUpWithError() throws {
        self.batches = []
        self.ignored = []
        self.linked = 0
        self.closed = []
        let events = RedisConnectionSupervisor.Events(
            linked: { _ in self.linked += 1 },
            closed: { self.closed.append($0) },
            isCurrent: { self.linked > 0 }
        )
        let target = RedisConnectionTarget(address: .tcp(host: "127.0.0.1", port: 1), password: "pw")
        let handler = RedisSubscriberHandler(
            channel: "ch",
            handshake: .subscriber(target: target, channel: "ch"),
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

    private func message(_ channel: String, _ payload: String) -> String {
        "*3\r\n$7\r\nmessage\r\n$\(channel.utf8.count)\r\n\(channel)\r\n$\(payload.utf8.count)\r\n\(payload)\r\n"
    }

    private func written() throws -> String {
        var text = ""
        while let buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    func testTheHandshakeAuthenticatesThenSubscribes() throws {
        XCTAssertEqual(try self.written(), "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n")
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: "+OK\r\n")))
        XCTAssertEqual(self.linked, 0)
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n")))
        XCTAssertEqual(self.linked, 1)
        XCTAssertNoThrow(try self.channel.finish())
    }

    func testOneReadBurstIsOneBatchInArrivalOrder() throws {
        let burst = "+OK\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n" + self.message("ch", "a")
            + self.message("ch", "b") + self.message("ch", "c")
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: burst)))
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: self.message("ch", "d"))))
        XCTAssertEqual(self.batches, [["a", "b", "c"], ["d"]])
        XCTAssertNoThrow(try self.channel.finish())
    }

    func testPushesForOtherChannelsAreCountedAndIgnored() throws {
        let burst = "+OK\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n" + self.message("other", "x")
            + self.message("ch", "y") + "*2\r\n$7\r\nunknown\r\n$0\r\n\r\n"
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: burst)))
        XCTAssertEqual(self.batches, [["y"]])
        XCTAssertEqual(self.ignored.count, 2)
        XCTAssertNoThrow(try self.channel.finish())
    }

    func testMessagesReadJustBeforeTheServerClosesAreStillDelivered() throws {
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: "+OK\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n")))
        // Bytes decoded without a following channelReadComplete, then the connection ends.
        self.channel.pipeline.fireChannelRead(ByteBuffer(string: self.message("ch", "last") + "*3\r\n$7\r\nmess"))
        XCTAssertEqual(self.batches, [])
        XCTAssertNoThrow(try self.channel.close().wait())
        XCTAssertEqual(self.batches, [["last"]])
        XCTAssertEqual(self.closed.count, 1)
        XCTAssertEqual(self.closed.first.map { "\($0)" }, "connection closed by the server")
    }

    func testARefusedAuthClosesWithTheServersReason() throws {
        let reply = "-WRONGPASS invalid username-password pair or user is disabled.\r\n-NOAUTH Authentication required.\r\n"
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: reply)))
        XCTAssertFalse(self.channel.isActive)
        XCTAssertEqual(self.linked, 0)
        XCTAssertEqual(self.closed.count, 1)
        XCTAssertTrue(self.closed.first?.isAuthRefusal ?? false)
        XCTAssertTrue(self.closed.first.map { "\($0)" }?.contains("Redis refused the password (WRONGPASS)") ?? false)
    }

    func testAProtocolErrorClosesTheConnection() throws {
        XCTAssertNoThrow(try self.channel.writeInbound(ByteBuffer(string: "!bogus\r\n")), "the handler owns the error")
        XCTAssertFalse(self.channel.isActive)
        XCTAssertEqual(self.closed.count, 1)
        guard case .failed(let error)? = self.closed.first else { return XCTFail("\(self.closed)") }
        XCTAssertTrue(error is RedisProtocolError, "\(error)")
    }
}
