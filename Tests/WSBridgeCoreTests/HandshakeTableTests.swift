import Logging
import NIOCore
import NIOEmbedded
import XCTest
@testable import WSBridgeCore

/// The shard's handshakes and their `handshake_timeout`: the table alone (times passed in), then the
/// shard's one timer on an EmbeddedEventLoop.
final class HandshakeTableTests: XCTestCase {
    private let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func at(_ seconds: Int64) -> NIODeadline { self.t0 + .seconds(seconds) }

    func testHandshakesTimeOutInTheOrderTheyBeganAndNotBefore() {
        var table = HandshakeTable()
        let (a, b, c) = (FakeHandshake("a"), FakeHandshake("b"), FakeHandshake("c"))
        let first = table.begin(a, now: self.at(0), timeout: .seconds(5))
        XCTAssertEqual(first.arm, self.at(5), "the first handshake arms the timer")
        XCTAssertNil(table.begin(b, now: self.at(1), timeout: .seconds(5)).arm, "already armed for an earlier deadline")
        _ = table.begin(c, now: self.at(2), timeout: .seconds(5))

        let early = table.expire(now: self.at(4))
        XCTAssertTrue(early.timedOut.isEmpty)
        XCTAssertEqual(early.arm, self.at(5))
        let due = table.expire(now: self.at(6))
        XCTAssertEqual(due.timedOut.map(\.name), ["a", "b"])
        XCTAssertEqual(due.arm, self.at(7))
        XCTAssertEqual(table.count, 3, "timed-out handshakes stay held until their connections end")
        XCTAssertEqual(table.expire(now: self.at(7)).timedOut.map(\.name), ["c"])
        XCTAssertNil(table.armedFor)
    }

    func testAnEndedHandshakeNeverTimesOutAndItsTicketEndsNothingElse() {
        var table = HandshakeTable()
        let a = table.begin(FakeHandshake("a"), now: self.at(0), timeout: .seconds(5)).ticket
        let b = table.begin(FakeHandshake("b"), now: self.at(1), timeout: .seconds(5)).ticket
        table.end(a)
        table.end(a)
        XCTAssertEqual(table.count, 1)
        let c = table.begin(FakeHandshake("c"), now: self.at(2), timeout: .seconds(5)).ticket
        XCTAssertNotEqual(c, a, "tickets are never reused")
        XCTAssertEqual(table.expire(now: self.at(5)).arm, self.at(6), "a's entry went with it: b is next")
        table.end(b)
        let last = table.expire(now: self.at(10))
        XCTAssertEqual(last.timedOut.map(\.name), ["c"])
        table.end(c)
        XCTAssertEqual(table.count, 0)
    }

    func testAShorterTimeoutAppliesToHandshakesUnderWayAndArmsEarlier() {
        var table = HandshakeTable()
        XCTAssertEqual(table.begin(FakeHandshake("a"), now: self.at(0), timeout: .seconds(10)).arm, self.at(10))
        // A reload to 2 s: the new limit is the latest given, for a as well.
        XCTAssertEqual(table.begin(FakeHandshake("b"), now: self.at(1), timeout: .seconds(2)).arm, self.at(2))
        XCTAssertEqual(table.expire(now: self.at(3)).timedOut.map(\.name), ["a", "b"])
    }

    func testALongerTimeoutGivenLaterDefersTheTimeoutAndTheTimerOnlyRearms() {
        var table = HandshakeTable()
        XCTAssertEqual(table.begin(FakeHandshake("a"), now: self.at(0), timeout: .seconds(10)).arm, self.at(10))
        XCTAssertNil(table.begin(FakeHandshake("b"), now: self.at(1), timeout: .seconds(30)).arm, "armed earlier already")
        let early = table.expire(now: self.at(10))
        XCTAssertTrue(early.timedOut.isEmpty, "a's limit is 30 s now")
        XCTAssertEqual(early.arm, self.at(30))
        XCTAssertEqual(table.expire(now: self.at(31)).timedOut.map(\.name), ["a", "b"])
    }

    func testTakeAllHandsOverEveryHandshakeAndDisarms() {
        var table = HandshakeTable()
        let a = table.begin(FakeHandshake("a"), now: self.at(0), timeout: .seconds(5)).ticket
        _ = table.begin(FakeHandshake("b"), now: self.at(0), timeout: .seconds(5))
        XCTAssertEqual(Set(table.takeAll().map(\.name)), ["a", "b"])
        XCTAssertEqual(table.count, 0)
        XCTAssertNil(table.armedFor)
        table.end(a)
        XCTAssertTrue(table.expire(now: self.at(9)).timedOut.isEmpty)
    }

    /// A steady stream of handshakes that end in time leaves nothing queued behind them.
    func testHandshakesThatEndInOrderLeaveNothingQueued() {
        var table = HandshakeTable()
        for second in 0..<1_000 {
            let ticket = table.begin(FakeHandshake("h"), now: self.at(Int64(second)), timeout: .seconds(5)).ticket
            table.end(ticket)
        }
        XCTAssertEqual(table.queuedCount, 0)
    }

    // MARK: The shard's timer

    private func makeShard() -> (Shard, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let router = Router(eventLoops: [loop], parser: EnvelopeParser(), logger: Logger(label: "test"))
        return (router.shard(for: loop), loop)
    }

    func testTheShardTellsEachHandshakeWhenItsTimeRunsOut() throws {
        let (shard, loop) = self.makeShard()
        let a = FakeHandshake("a")
        let b = FakeHandshake("b")
        let c = FakeHandshake("c")
        _ = try XCTUnwrap(shard.handshakeBegan(a, timeout: .seconds(5)))
        loop.advanceTime(by: .seconds(1))
        let bTicket = try XCTUnwrap(shard.handshakeBegan(b, timeout: .seconds(5)))
        loop.advanceTime(by: .seconds(1))
        _ = try XCTUnwrap(shard.handshakeBegan(c, timeout: .seconds(5)))
        shard.handshakeEnded(bTicket)

        loop.advanceTime(by: .milliseconds(2_999))
        XCTAssertEqual([a.timeouts, b.timeouts, c.timeouts], [0, 0, 0])
        loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual([a.timeouts, b.timeouts, c.timeouts], [1, 0, 0], "a at 5 s")
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual([a.timeouts, b.timeouts, c.timeouts], [1, 0, 0], "b ended")
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual([a.timeouts, b.timeouts, c.timeouts], [1, 0, 1], "c at 7 s")
        XCTAssertEqual(shard.pendingHandshakes.count, 2, "held until their connections end")
    }

    /// A handshake's connection may close as it is told its time ran out, ending it from inside the
    /// timer's callback; the next one still times out on time.
    func testAHandshakeEndedFromItsTimeoutLeavesTheOthersOnTime() throws {
        let (shard, loop) = self.makeShard()
        let a = FakeHandshake("a")
        let b = FakeHandshake("b")
        a.onTimeout = { [unowned a] in shard.handshakeEnded(a.ticket!) }
        a.ticket = try XCTUnwrap(shard.handshakeBegan(a, timeout: .seconds(5)))
        loop.advanceTime(by: .seconds(1))
        b.ticket = try XCTUnwrap(shard.handshakeBegan(b, timeout: .seconds(5)))
        loop.advanceTime(by: .seconds(4))
        XCTAssertEqual([a.timeouts, b.timeouts], [1, 0])
        XCTAssertEqual(shard.pendingHandshakes.count, 1)
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual([a.timeouts, b.timeouts], [1, 1])
    }

    func testADrainDisarmsTheTimer() throws {
        let (shard, loop) = self.makeShard()
        let a = FakeHandshake("a")
        _ = try XCTUnwrap(shard.handshakeBegan(a, timeout: .seconds(5)))
        XCTAssertTrue(shard.handshakeTimerArmed)
        shard.drain(over: .zero) { _ in }
        XCTAssertFalse(shard.handshakeTimerArmed)
        loop.advanceTime(by: .seconds(10))
        XCTAssertEqual(a.drains, 1)
        XCTAssertEqual(a.timeouts, 0)
    }
}

private final class FakeHandshake: PendingHandshake {
    let name: String
    private(set) var timeouts = 0
    private(set) var drains = 0
    var ticket: HandshakeTicket?
    var onTimeout: () -> Void = {}

    init(_ name: String) { self.name = name }

    var closeFuture: EventLoopFuture<Void>? { nil }
    func drain() { self.drains += 1 }
    func timedOut() {
        self.timeouts += 1
        self.onTimeout()
    }
}

extension PendingHandshake {
    fileprivate var name: String { (self as! FakeHandshake).name }
}
