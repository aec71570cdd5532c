import NIOCore
import NIOEmbedded
import XCTest
import WSBridgeCore
@testable import WSBridgeEdge

/// A connection under a shard's write-coalescing window: deliveries wait for the window; what the
/// connection writes itself (an app's `send`, control frames) goes at once and takes them along.
final class WriteCoalescingTests: XCTestCase {
    private func upgraded(window: TimeAmount) throws -> (EdgeHarness, WebSocketConnection) {
        let harness = try EdgeHarness()
        let response = try harness.handshake(path: "/ws?user=alice")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 101"), response)
        harness.router.shard(for: harness.channel.embeddedEventLoop).setWriteCoalesceWindow(window)
        let connection = try harness.channel.pipeline.syncOperations.handler(type: WebSocketConnection.self)
        return (harness, connection)
    }

    private func delivery(_ text: String) -> Delivery {
        Delivery(
            envelope: Envelope(target: .user("alice"), payload: ByteBuffer(string: text), isBinary: false),
            source: .embedded, arrivedAt: .now(), allocator: ByteBufferAllocator()
        )
    }

    private func texts(_ frames: [(opcode: UInt8, payload: ByteBuffer)]) -> [String] {
        frames.map { $0.opcode == 0x8 ? "close" : String(buffer: $0.payload) }
    }

    func testDeliveriesReachTheSocketWhenTheWindowEnds() throws {
        let (harness, _) = try self.upgraded(window: .milliseconds(20))
        harness.router.dispatch([self.delivery("one")])
        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(10))
        harness.router.dispatch([self.delivery("two")])
        XCTAssertTrue(try harness.readFrames().isEmpty, "written, not flushed")
        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(10))
        XCTAssertEqual(self.texts(try harness.readFrames()), ["one", "two"])
        XCTAssertEqual(harness.shardCounters.flushes, 1)
    }

    func testAnAppSendGoesAtOnceWithWhatWaits() throws {
        let (harness, connection) = try self.upgraded(window: .milliseconds(20))
        harness.router.dispatch([self.delivery("queued")])
        connection.send(ByteBuffer(string: "direct"), isBinary: false)
        XCTAssertEqual(self.texts(try harness.readFrames()), ["queued", "direct"])
        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(20))
        XCTAssertTrue(try harness.readFrames().isEmpty, "nothing is sent twice")
    }

    func testAClosingConnectionSendsWhatWaitsBeforeItsCloseFrame() throws {
        let (harness, connection) = try self.upgraded(window: .milliseconds(20))
        harness.router.dispatch([self.delivery("last")])
        connection.close(.goingAway, reason: "bye")
        XCTAssertEqual(self.texts(try harness.readFrames()), ["last", "close"])
        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(20))
        XCTAssertTrue(try harness.readFrames().isEmpty)
        XCTAssertEqual(harness.shardCounters.flushes, 0, "the shard no longer flushes a connection that left it")
    }
}
