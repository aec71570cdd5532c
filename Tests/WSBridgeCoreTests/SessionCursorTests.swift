import NIOCore
import WSBridgeCore
import XCTest

final class SessionCursorTests: XCTestCase {
    private func live(_ since: SessionPosition? = SessionPosition(user: pos("u", 0), all: pos("a", 0))) -> SessionCursor {
        var cursor = SessionCursor(since: since, holdLimit: 1 << 20)
        _ = cursor.recovered(SessionRecovery(user: "alice", parts: []))
        return cursor
    }

    private func texts(_ outputs: [SessionCursor.Output]) -> [String] {
        outputs.map { output in
            switch output {
            case .deliver(let delivery, let position): "\(delivery.text)@\(position.map { "\($0)" } ?? "-")"
            case .gap(let gap, let position): "gap:\(gap.reason.rawValue)@\(position)"
            }
        }
    }

    func testALiveSessionDeliversEachPositionOnceAndMovesItsPosition() {
        var cursor = self.live()
        guard case .deliver(let after) = cursor.admit(DeliveryFactory.user("alice", "1", "u", 1), stream: .user, at: pos("u", 1)) else {
            return XCTFail("not delivered")
        }
        XCTAssertEqual(after?.description, "u-1.a-0")
        guard case .skip = cursor.admit(DeliveryFactory.user("alice", "1", "u", 1), stream: .user, at: pos("u", 1)) else {
            return XCTFail("a duplicate was delivered")
        }
        guard case .deliver(let allAfter) = cursor.admit(DeliveryFactory.all("x", "a", 1), stream: .all, at: pos("a", 1)) else {
            return XCTFail("not delivered")
        }
        XCTAssertEqual(allAfter?.description, "u-1.a-1")
    }

    func testABestEffortMessageIsDeliveredWithoutAPosition() {
        var cursor = self.live()
        guard case .deliver(nil) = cursor.admit(DeliveryFactory.make("x", to: .all), stream: .all, at: nil) else {
            return XCTFail("best effort must pass, with no position")
        }
        XCTAssertEqual(cursor.position.description, "u-0.a-0")
    }

    func testAnotherEpochIsAlwaysNew() {
        var cursor = self.live()
        guard case .deliver = cursor.admit(DeliveryFactory.user("alice", "1", "v", 1), stream: .user, at: pos("v", 1)) else {
            return XCTFail("a message of a new epoch was dropped")
        }
    }

    func testWhileRecoveringEverythingIsHeldThenReplayedAfterTheMissedMessagesWithoutDuplicates() {
        var cursor = SessionCursor(since: SessionPosition(user: pos("u", 2), all: pos("a", 5)), holdLimit: 1 << 20)
        XCTAssertTrue(cursor.isRecovering)
        for offset: UInt64 in [4, 5] {
            guard case .held = cursor.admit(DeliveryFactory.user("alice", "live \(offset)", "u", offset), stream: .user, at: pos("u", offset)) else {
                return XCTFail("not held")
            }
        }
        let missed = [3, 4].map { DeliveryFactory.user("alice", "missed \($0)", "u", UInt64($0)) }
        let recovery = SessionRecovery(user: "alice", parts: [
            .init(stream: .user, entries: missed, end: pos("u", 4)),
            .init(stream: .all, end: pos("a", 5)),
        ])
        XCTAssertEqual(
            self.texts(cursor.recovered(recovery)),
            ["missed 3@u-3.a-5", "missed 4@u-4.a-5", "live 5@u-5.a-5"],
            "live 4 is the same message as missed 4: once")
        XCTAssertFalse(cursor.isRecovering)
    }

    func testAGapComesBeforeWhatTheNewEpochHolds() {
        var cursor = SessionCursor(since: SessionPosition(user: pos("old", 9), all: nil), holdLimit: 1 << 20)
        let gap = StreamGap(stream: .user("alice"), reason: .historyLost, after: pos("old", 9), resumesAfter: pos("new", 0))
        let recovery = SessionRecovery(user: "alice", parts: [
            .init(stream: .user, gap: gap, entries: [DeliveryFactory.user("alice", "first of new", "new", 1)], end: pos("new", 1)),
            .init(stream: .all, end: pos("a", 3)),
        ])
        XCTAssertEqual(self.texts(cursor.recovered(recovery)), ["gap:history_lost@new-0.", "first of new@new-1."])
        XCTAssertEqual(cursor.position.description, "new-1.a-3")
    }

    func testWithoutSinceTheSessionStartsAtTheCurrentPositionsAndDropsWhatCameBefore() {
        var cursor = SessionCursor(since: nil, holdLimit: 1 << 20)
        _ = cursor.admit(DeliveryFactory.user("alice", "old", "u", 7), stream: .user, at: pos("u", 7))
        _ = cursor.admit(DeliveryFactory.user("alice", "new", "u", 8), stream: .user, at: pos("u", 8))
        let recovery = SessionRecovery(user: "alice", parts: [.init(stream: .user, end: pos("u", 7)), .init(stream: .all, end: pos("a", 1))])
        XCTAssertEqual(self.texts(cursor.recovered(recovery)), ["new@u-8.a-1"])
    }

    func testANodeGapMovesALiveSessionOnceAndNotOneAlreadyPastIt() {
        var cursor = self.live(SessionPosition(user: pos("u", 3), all: pos("a", 0)))
        let gap = StreamGap(stream: .user("alice"), reason: .historyTrimmed, after: pos("u", 3), resumesAfter: pos("u", 9))
        guard case .gap(_, let after)? = cursor.gap(gap, stream: .user) else { return XCTFail("no gap") }
        XCTAssertEqual(after.description, "u-9.a-0")
        XCTAssertNil(cursor.gap(gap, stream: .user), "the same gap twice")
    }

    func testARewindTakesTheSessionBackSoThatReissuedOffsetsAreDelivered() {
        var cursor = self.live(SessionPosition(user: pos("u", 10), all: pos("a", 0)))
        let gap = StreamGap(stream: .user("alice"), reason: .historyLost, after: pos("u", 10), resumesAfter: pos("u", 7))
        guard case .gap(_, let after)? = cursor.gap(gap, stream: .user) else { return XCTFail("the rewind was ignored") }
        XCTAssertEqual(after.description, "u-7.a-0")
        guard case .deliver = cursor.admit(DeliveryFactory.user("alice", "new 8", "u", 8), stream: .user, at: pos("u", 8)) else {
            return XCTFail("a reissued offset was taken for a duplicate")
        }
    }

    func testTooMuchHeldWhileRecoveringIsDroppedAndReportedAsAGap() {
        var cursor = SessionCursor(since: SessionPosition(user: pos("u", 1), all: pos("a", 1)), holdLimit: 10)
        guard case .held = cursor.admit(DeliveryFactory.user("alice", "12345", "u", 2), stream: .user, at: pos("u", 2)) else {
            return XCTFail()
        }
        guard case .overflowed = cursor.admit(DeliveryFactory.user("alice", "678901", "u", 3), stream: .user, at: pos("u", 3)) else {
            return XCTFail("the limit was not enforced")
        }
        let outputs = cursor.recovered(SessionRecovery(user: "alice", parts: [.init(stream: .user, end: pos("u", 1)), .init(stream: .all, end: pos("a", 1))]))
        XCTAssertEqual(self.texts(outputs).filter { $0.hasPrefix("gap:") }.count, 2, "\(self.texts(outputs))")
        XCTAssertFalse(self.texts(outputs).contains { $0.hasPrefix("12345") }, "nothing held survives an overflow")
    }
}
