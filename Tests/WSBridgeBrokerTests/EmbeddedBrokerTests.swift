import NIOCore
import NIOEmbedded
import NIOPosix
import WSBridgeBroker
import XCTest
import WSBridgeTestSupport

final class EmbeddedBrokerTests: XCTestCase {
    func testStartLinksAndPublishesArriveInOrderOnTheEventLoop() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { XCTAssertNoThrow(try group.syncShutdownGracefully()) }
        let loop = group.next()
        let broker = EmbeddedBroker(eventLoop: loop)
        let collector = MessageCollector()
        XCTAssertFalse(broker.isLinked)
        XCTAssertEqual(broker.displayName, "embedded")

        broker.start(handler: collector.handler)
        eventually("linked") { broker.isLinked }
        let futures = (0..<100).map { broker.publish(ByteBuffer(string: "m\($0)")) }
        XCTAssertNoThrow(try EventLoopFuture.andAllSucceed(futures, on: loop).wait())

        XCTAssertEqual(collector.strings, (0..<100).map { "m\($0)" })
        XCTAssertTrue(collector.batches.allSatisfy { $0.count == 1 })
        XCTAssertNoThrow(try broker.shutdown().wait())
        XCTAssertFalse(broker.isLinked)
        XCTAssertEqual(collector.linkChanges, [true, false])
    }

    func testNothingIsDeliveredAfterShutdown() throws {
        let loop = EmbeddedEventLoop()
        let broker = EmbeddedBroker(eventLoop: loop)
        let collector = MessageCollector()
        broker.start(handler: collector.handler)
        loop.run()
        _ = broker.publish(ByteBuffer(string: "before"))
        _ = broker.shutdown()
        let after = broker.publish(ByteBuffer(string: "after"))
        loop.run()
        XCTAssertNoThrow(try after.wait())
        XCTAssertEqual(collector.strings, ["before"])
    }

    func testTheHistorySizesAreCountedForTheMetrics() throws {
        let loop = EmbeddedEventLoop()
        let broker = EmbeddedBroker(
            eventLoop: loop, history: .init(size: 2, ttl: .seconds(60), metaTTL: .seconds(600)),
            streams: { message in String(buffer: message).split(separator: " ").map(String.init) })
        broker.start(handler: MessageCollector().handler)
        loop.run()
        XCTAssertEqual([broker.historyStreams, broker.historyMessages], [0, 0])
        for message in ["u:a u:b", "u:a", "u:a all"] {
            _ = broker.publish(ByteBuffer(string: message))
        }
        loop.run()
        XCTAssertEqual(broker.historyStreams, 3)
        XCTAssertEqual(broker.historyMessages, 4, "u:a keeps its last 2; u:b and all one each")
        let read = broker.history([HistoryQuery(stream: "u:c", since: nil)])
        loop.run()
        XCTAssertNoThrow(try read.wait())
        XCTAssertEqual(broker.historyStreams, 4, "reading a position makes one")
        XCTAssertEqual(broker.historyMessages, 4)
    }
}
