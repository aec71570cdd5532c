import NIOCore
import NIOEmbedded
import XCTest
import WSBridgeCore
@testable import WSBridgeEdge

/// A connection under a shard's write-coalescing window: deliveries wait for the window; what the
/// connection writes itself (an app's `send`, control frames) goes at once and takes them along.
final class WriteCoalescingTests: XCTestCase {
    private func upgraded(window: TimeAmount) throws -> (EdgeHarness, WebSocketConnection) {
        let harness = try self.edgeHarness()
        let response = try harness.handshake(path: "/ws?user=alice")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 101"), response)
        harness.router.shard(for: harness.channel.embeddedEventLoop).setWriteCoalesceWindow(window)
        let connection = try harness.channel.pipeline.syncOperations.handler(type: WebSocketConnection.self)
        return (harness, connection)
    }

    private func delivery(_ text: String) -> Delivery {
        Delivery(
            envelope: Envelope(target: .user("alice"), payload: ByteBuffer(string: text), isBinary: false),
            source: .embedded, arrivedAt: .now()
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

    func testDeliveriesFlushedTogetherLeaveAsOneBuffer() throws {
        let (harness, _) = try self.upgraded(window: .milliseconds(20))
        harness.router.dispatch([self.delivery("one")])
        harness.router.dispatch([self.delivery("two"), self.delivery("three")])
        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(20))
        var written: [ByteBuffer] = []
        while let part = try harness.channel.readOutbound(as: ByteBuffer.self) {
            written.append(part)
        }
        XCTAssertEqual(written.count, 1, "one write for the kernel, not one per message")
        let frames = ServerFrame.encode(.text, payload: ByteBuffer(string: "one"), allocator: .init())
        XCTAssertEqual(written.first?.readableBytes, 3 * frames.readableBytes + 2)
    }

    func testABatchWithoutAWindowAlsoLeavesAsOneBuffer() throws {
        let (harness, _) = try self.upgraded(window: .zero)
        harness.router.dispatch([self.delivery("one"), self.delivery("two")])
        var written: [ByteBuffer] = []
        while let part = try harness.channel.readOutbound(as: ByteBuffer.self) {
            written.append(part)
        }
        XCTAssertEqual(written.count, 1)
        XCTAssertEqual(self.texts(self.frames(in: written)), ["one", "two"])
    }

    func testCollectedBytesPastTheQueueLimitAreWrittenAtOnce() throws {
        var settings = EdgeSettings()
        settings.maxQueueBytes = 64
        let harness = try self.edgeHarness(settings: settings)
        XCTAssertTrue(try harness.handshake(path: "/ws?user=alice").hasPrefix("HTTP/1.1 101"))
        harness.router.shard(for: harness.channel.embeddedEventLoop).setWriteCoalesceWindow(.milliseconds(20))
        let connection = try harness.channel.pipeline.syncOperations.handler(type: WebSocketConnection.self)
        let big = String(repeating: "x", count: 40)
        harness.router.dispatch([self.delivery(big)])
        XCTAssertEqual(connection.unflushedBytes, 42, "under the limit: collected")
        harness.router.dispatch([self.delivery(big)])
        // Past it: written to the channel, whose high-water mark sees them (not yet flushed).
        XCTAssertEqual(connection.unflushedBytes, 0)
        XCTAssertNil(try harness.channel.readOutbound(as: ByteBuffer.self))
        harness.channel.embeddedEventLoop.advanceTime(by: .milliseconds(20))
        XCTAssertEqual(self.texts(try harness.readFrames()), [big, big])
    }

    private func frames(in parts: [ByteBuffer]) -> [(opcode: UInt8, payload: ByteBuffer)] {
        var all = ByteBuffer()
        for var part in parts { all.writeBuffer(&part) }
        var frames: [(opcode: UInt8, payload: ByteBuffer)] = []
        while let first = all.readInteger(as: UInt8.self), let length = all.readInteger(as: UInt8.self) {
            guard let payload = all.readSlice(length: Int(length)) else { break }
            frames.append((opcode: first & 0x0F, payload: payload))
        }
        return frames
    }
}
