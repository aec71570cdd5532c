import Logging
import NIOCore
import NIOEmbedded
import WSBridgeCore
import WSBridgeTestSupport
@testable import WSBridgeEdge
import XCTest

/// The drain waits on the connections' close futures: on an embedded event loop, where no time passes
/// unless the test says so, it is over in the turn the last connection closes. A drain that polled a
/// counter with sleeps could never finish here.
final class EdgeDrainTests: XCTestCase {
    private let loop = EmbeddedEventLoop()
    private lazy var router = Router(eventLoops: [self.loop], parser: EnvelopeParser(), logger: Logger(label: "test"))

    private func edge(closeTimeout: TimeAmount = .seconds(3)) -> EdgeContext {
        var settings = EdgeSettings()
        settings.closeTimeout = closeTimeout
        return EdgeContext(
            settings: settings, router: self.router, authenticator: InsecureQueryAuthenticator(), sink: RecordingSink(),
            logger: Logger(label: "test"), unhealthyReason: { nil })
    }

    /// An upgraded WebSocket connection of `user` on the edge, its 101 read.
    private func connect(_ user: String, to edge: EdgeContext) throws -> EmbeddedChannel {
        let channel = try self.accept(on: edge, requesting: user)
        self.finishesClean(channel)
        self.loop.run()
        XCTAssertTrue(String(buffer: try self.written(channel)).hasPrefix("HTTP/1.1 101 "))
        return channel
    }

    /// A connection accepted by the edge that sent its WebSocket handshake for `user` (or nothing).
    private func accept(on edge: EdgeContext, requesting user: String?) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: self.loop)
        try WebSocketServer.initialize(channel, edge: edge)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
        if let user {
            try channel.writeInbound(
                ByteBuffer(
                    string: "GET /ws?user=\(user) HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: \(EdgeHarness.key)\r\nSec-WebSocket-Version: 13\r\n\r\n"))
        }
        return channel
    }

    private func written(_ channel: EmbeddedChannel) throws -> ByteBuffer {
        var all = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) {
            all.writeBuffer(&part)
        }
        return all
    }

    /// The close frame the server sent, as bytes: opcode 8, code 1001, "server shutting down".
    private static let goingAway: [UInt8] = [0x88, 22, 0x03, 0xE9] + Array("server shutting down".utf8)

    func testTheDrainEndsInTheTurnItsLastConnectionCloses() throws {
        let edge = self.edge()
        let alice = try self.connect("alice", to: edge)
        let bob = try self.connect("bob", to: edge)
        self.router.shard(for: self.loop).add(Session(user: "an app's session"))  // not a connection: nothing to wait for
        let drained = Flag()
        edge.drainConnections(over: .zero).whenSuccess { drained.value = true }
        self.loop.run()
        XCTAssertEqual(Array(try self.written(alice).readableBytesView), Self.goingAway)
        XCTAssertEqual(Array(try self.written(bob).readableBytesView), Self.goingAway)
        XCTAssertFalse(drained.value, "both clients are still connected")

        try alice.writeInbound(EdgeHarness.clientFrame(opcode: 0x8, payload: [0x03, 0xE9]))
        self.loop.run()
        XCTAssertFalse(alice.isActive, "alice answered: closed")
        XCTAssertFalse(drained.value, "bob is still connected")

        try bob.writeInbound(EdgeHarness.clientFrame(opcode: 0x8, payload: [0x03, 0xE9]))
        self.loop.run()  // what is due now; the clock does not move
        XCTAssertFalse(bob.isActive)
        XCTAssertTrue(drained.value, "over as bob's connection closed, with no time passing")
    }

    func testAClientThatNeverAnswersHoldsTheDrainUntilItsConnectionIsReset() throws {
        let edge = self.edge(closeTimeout: .seconds(3))
        let silent = try self.connect("silent", to: edge)
        let drained = Flag()
        edge.drainConnections(over: .seconds(1)).whenSuccess { drained.value = true }
        self.loop.run()
        XCTAssertEqual(Array(try self.written(silent).readableBytesView), Self.goingAway, "one connection is closed at once")
        self.loop.advanceTime(by: .milliseconds(2999))
        XCTAssertFalse(drained.value)
        XCTAssertTrue(silent.isActive)
        self.loop.advanceTime(by: .milliseconds(1))
        XCTAssertFalse(silent.isActive, "reset after close_timeout")
        XCTAssertTrue(drained.value)
    }

    /// A connection whose handshake is being decided when the drain starts does not open: it is answered
    /// 503 at once (counted as `shutting_down`), its authenticator is told, and the drain waits for it
    /// to close. One whose request has not arrived is closed, and waited for too.
    func testConnectionsInTheirHandshakeAreEndedAndWaitedFor() throws {
        let authenticator = DeferredAuthenticator()
        let edge = self.edge()
        edge.authenticator = authenticator
        let deciding = try self.accept(on: edge, requesting: "carol")
        let silent = try self.accept(on: edge, requesting: nil)
        self.loop.run()
        XCTAssertEqual(self.router.shard(for: self.loop).pendingHandshakes.count, 2)

        // What the drain waits for: both channels' close futures. Count their closes as they come.
        let closed = Flag()
        deciding.closeFuture.whenComplete { _ in closed.count += 1 }
        silent.closeFuture.whenComplete { _ in closed.count += 1 }
        let drained = Flag()
        let drain = edge.drainConnections(over: .seconds(1))
        drain.whenSuccess { drained.value = true; XCTAssertEqual(closed.count, 2, "over only once both closed") }
        self.loop.run()
        let answer = String(buffer: try self.written(deciding))
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"), answer)
        XCTAssertTrue(answer.hasSuffix("\r\n\r\nserver shutting down\n"), answer)
        XCTAssertEqual(authenticator.abandoned, [ConnectionID(rawValue: 1)])
        XCTAssertEqual(self.router.shard(for: self.loop).counters.refusals[.shuttingDown], 1)
        XCTAssertFalse(silent.isActive, "no request yet: closed")
        XCTAssertFalse(deciding.isActive, "answered, then closed")
        XCTAssertTrue(drained.value)
        XCTAssertEqual(self.router.shard(for: self.loop).pendingHandshakes.count, 0)

        authenticator.decide(.accept(user: "carol"))
        self.loop.run()
        XCTAssertEqual(self.router.shard(for: self.loop).sessionCount, 0, "a verdict after the drain opens nothing")

        // A connection accepted once the drain began is closed as it is set up.
        let late = EmbeddedChannel(loop: self.loop)
        let lateClosed = Flag()
        late.closeFuture.whenComplete { _ in lateClosed.value = true }
        try WebSocketServer.initialize(late, edge: edge)
        self.loop.run()
        XCTAssertTrue(lateClosed.value)
        XCTAssertEqual(self.router.shard(for: self.loop).pendingHandshakes.count, 0)
    }

    /// The drain waits for every handshake's close future, whenever it comes: one that closes later
    /// holds it.
    func testTheDrainWaitsForAHandshakeThatClosesLater() throws {
        let shard = self.router.shard(for: self.loop)
        let handshake = SlowHandshake(loop: self.loop)
        XCTAssertNotNil(shard.handshakeBegan(handshake, timeout: .seconds(10)))
        let drained = Flag()
        self.edge().drainConnections(over: .zero).whenSuccess { drained.value = true }
        self.loop.run()
        XCTAssertEqual(handshake.drained, 1)
        XCTAssertFalse(drained.value, "its connection has not closed")
        XCTAssertTrue(shard.pendingHandshakes.isEmpty, "no longer held: the drain ended it")
        let late = SlowHandshake(loop: self.loop)
        XCTAssertNil(shard.handshakeBegan(late, timeout: .seconds(10)), "none begins once the shard drains")
        late.close()
        handshake.close()
        self.loop.run()
        XCTAssertTrue(drained.value)
    }

    func testWithoutConnectionsTheDrainIsOverAtOnce() {
        let drained = Flag()
        self.edge().drainConnections(over: .seconds(10)).whenSuccess { drained.value = true }
        self.loop.run()
        XCTAssertTrue(drained.value)
    }
}

/// Whether a future completed. Touched only on the EmbeddedEventLoop, which is the test's thread.
private final class Flag: @unchecked Sendable {
    var value = false
    var count = 0
}

/// A handshake whose connection closes when the test says.
private final class SlowHandshake: PendingHandshake {
    private let closed: EventLoopPromise<Void>
    private(set) var drained = 0

    init(loop: EmbeddedEventLoop) {
        self.closed = loop.makePromise()
    }

    var closeFuture: EventLoopFuture<Void>? { self.closed.futureResult }

    func drain() {
        self.drained += 1
    }

    func timedOut() {}

    func close() {
        self.closed.succeed(())
    }
}
