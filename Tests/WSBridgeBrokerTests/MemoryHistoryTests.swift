import CHeapStats
import NIOCore
@testable import WSBridgeBroker
import XCTest

final class MemoryHistoryTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    private var epochs = 0

    private func history(size: Int = 3, ttl: TimeAmount = .seconds(60), metaTTL: TimeAmount = .seconds(600)) -> MemoryHistory {
        MemoryHistory(settings: .init(size: size, ttl: ttl, metaTTL: metaTTL)) { [unowned self] in
            self.epochs += 1
            return "e\(self.epochs)"
        }
    }

    private func texts(_ slice: HistorySlice) -> [String] { slice.entries.map { String(buffer: $0) } }

    func testOffsetsCountFromOneInAFreshEpochPerStream() {
        var history = self.history()
        XCTAssertEqual(history.append(ByteBuffer(string: "a"), to: "u:A", now: self.start), "e1-1")
        XCTAssertEqual(history.append(ByteBuffer(string: "b"), to: "u:A", now: self.start), "e1-2")
        XCTAssertEqual(history.append(ByteBuffer(string: "c"), to: "all", now: self.start), "e2-1")
    }

    func testSinceReturnsWhatCameAfterItAndOnlyTheLastSizeAreKept() {
        var history = self.history(size: 3)
        for text in ["1", "2", "3", "4", "5"] {
            _ = history.append(ByteBuffer(string: text), to: "u:A", now: self.start)
        }
        let afterThree = history.history([HistoryQuery(stream: "u:A", since: "e1-3")], now: self.start)[0]
        XCTAssertEqual(afterThree.first, 4)
        XCTAssertEqual(self.texts(afterThree), ["4", "5"])
        let fromOne = history.history([HistoryQuery(stream: "u:A", since: "e1-1")], now: self.start)[0]
        XCTAssertEqual(fromOne.first, 3, "2 is no longer kept: the reader sees first > since + 1")
        XCTAssertEqual(self.texts(fromOne), ["3", "4", "5"])
        let positionOnly = history.history([HistoryQuery(stream: "u:A", since: nil)], now: self.start)[0]
        XCTAssertEqual(positionOnly, HistorySlice(epoch: "e1", top: 5, first: 6, entries: []))
    }

    func testAnotherEpochGetsEverythingRetained() {
        var history = self.history()
        _ = history.append(ByteBuffer(string: "x"), to: "u:A", now: self.start)
        let slice = history.history([HistoryQuery(stream: "u:A", since: "old-40")], now: self.start)[0]
        XCTAssertEqual(slice.first, 1)
        XCTAssertEqual(self.texts(slice), ["x"])
    }

    func testMessagesExpireAfterTheTTLButThePositionStays() {
        var history = self.history(ttl: .seconds(5))
        _ = history.append(ByteBuffer(string: "x"), to: "u:A", now: self.start)
        let later = self.start + .seconds(6)
        let slice = history.history([HistoryQuery(stream: "u:A", since: "e1-0")], now: later)[0]
        XCTAssertEqual(slice.epoch, "e1")
        XCTAssertEqual(slice.top, 1)
        XCTAssertEqual(slice.entries, [], "expired")
        XCTAssertEqual(slice.first, 2)
    }

    func testAPositionUnusedForTheMetaTTLStartsANewEpoch() {
        var history = self.history(ttl: .seconds(5), metaTTL: .seconds(10))
        _ = history.append(ByteBuffer(string: "x"), to: "u:A", now: self.start)
        history.sweep(now: self.start + .seconds(11))
        XCTAssertEqual(history.streamCount, 0)
        XCTAssertEqual(history.append(ByteBuffer(string: "y"), to: "u:A", now: self.start + .seconds(12)), "e2-1")
    }

    func testReadingAPositionKeepsItAlive() {
        var history = self.history(ttl: .seconds(5), metaTTL: .seconds(10))
        _ = history.append(ByteBuffer(string: "x"), to: "u:A", now: self.start)
        _ = history.history([HistoryQuery(stream: "u:A", since: nil)], now: self.start + .seconds(8))
        history.sweep(now: self.start + .seconds(16))
        XCTAssertEqual(history.history([HistoryQuery(stream: "u:A", since: nil)], now: self.start + .seconds(16))[0].epoch, "e1")
    }

    /// Every session reads its stream's position, so a host holds one stream per user, most with no
    /// messages. Each such stream cost a 432-byte ring (a `CircularBuffer`'s 16 empty slots) before any
    /// message came.
    func testAStreamWithAPositionAndNoMessagesHoldsNoRing() throws {
        guard wsb_heap_bytes_in_use() > 0 else { throw XCTSkip("no glibc heap statistics here") }
        let count = 10_000
        var history = self.history(size: 100)
        let names = (0..<count).map { "u:user\($0)" }
        let before = wsb_heap_bytes_in_use()
        for name in names {
            _ = history.history([HistoryQuery(stream: name, since: nil)], now: self.start)
        }
        let perStream = (Int(wsb_heap_bytes_in_use()) - Int(before)) / count
        XCTAssertEqual(history.streamCount, count)
        // The table's own share (a 64-byte bucket at a load of 0.6 to 0.75) is about 105 bytes.
        XCTAssertLessThan(perStream, 200, "bytes of heap per stream with a position and no messages")
        withExtendedLifetime(history) {}
    }

    /// What `wsbridge_embedded_history_messages` shows: messages held, once per stream, through trims,
    /// expiry on use, the sweep, and a position that outlived its use.
    func testTheMessageCountFollowsEveryWayMessagesGo() {
        var history = self.history(size: 3, ttl: .seconds(5), metaTTL: .seconds(10))
        for text in ["1", "2", "3", "4"] {
            _ = history.append(ByteBuffer(string: text), to: "u:A", now: self.start)
        }
        _ = history.append(ByteBuffer(string: "x"), to: "u:B", now: self.start)
        _ = history.append(ByteBuffer(string: "y"), to: "u:C", now: self.start + .seconds(4))
        XCTAssertEqual(history.messageCount, 5, "A keeps its last 3, B and C one each")
        // Read after A's and B's messages expired: A's are dropped as it is used.
        _ = history.history([HistoryQuery(stream: "u:A", since: nil)], now: self.start + .seconds(6))
        XCTAssertEqual(history.messageCount, 2)
        // The sweep drops B's expired message; C's is 2 s old.
        history.sweep(now: self.start + .seconds(7))
        XCTAssertEqual(history.messageCount, 1)
        XCTAssertEqual(history.streamCount, 3)
        // C's position outlives its use: the sweep drops the stream and its message.
        history.sweep(now: self.start + .seconds(15))
        XCTAssertEqual(history.streamCount, 1, "A was used at 6 s")
        XCTAssertEqual(history.messageCount, 0)
        _ = history.append(ByteBuffer(string: "z"), to: "u:B", now: self.start + .seconds(20))
        XCTAssertEqual(history.messageCount, 1)
    }

    /// A stream whose position outlived its use is made again with a new epoch when it is next used,
    /// messages and all, without a sweep in between.
    func testAStreamRemadeOnUseTakesItsMessagesOffTheCount() {
        var history = self.history(size: 5, ttl: .seconds(10), metaTTL: .seconds(10))
        _ = history.append(ByteBuffer(string: "1"), to: "u:A", now: self.start)
        _ = history.append(ByteBuffer(string: "2"), to: "u:A", now: self.start + .seconds(1))
        XCTAssertEqual(history.messageCount, 2)
        XCTAssertEqual(history.append(ByteBuffer(string: "3"), to: "u:A", now: self.start + .seconds(12)), "e2-1")
        XCTAssertEqual(history.messageCount, 1)
    }

    func testADurableMessageCarriesItsPositionsAsItsFirstMember() {
        let wrapped = DurableMessage.wrap(positions: "e-1,e-2", envelope: ByteBuffer(string: #"  {"users":["a","b"],"data":1}"#), allocator: .init())
        XCTAssertEqual(wrapped.map { String(buffer: $0) }, #"{"wsb":"e-1,e-2","users":["a","b"],"data":1}"#)
        XCTAssertNil(DurableMessage.wrap(positions: "e-1", envelope: ByteBuffer(string: "[1]"), allocator: .init()))
    }
}
