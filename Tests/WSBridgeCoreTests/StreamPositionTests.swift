import WSBridgeCore
import XCTest

final class StreamPositionTests: XCTestCase {
    func testAPositionIsAnEpochAndAnOffsetJoinedByADash() {
        let position = StreamPosition("6b1163c72284a-17")
        XCTAssertEqual(position, StreamPosition(epoch: "6b1163c72284a", offset: 17))
        XCTAssertEqual(position?.description, "6b1163c72284a-17")
    }

    func testMalformedPositionsAreRefused() {
        for text in ["", "-1", "abc-", "abc", "ABC-1", "a b-1", "abc-1x", "abc--1", "abc-18446744073709551616",
            String(repeating: "a", count: 33) + "-1"]
        {
            XCTAssertNil(StreamPosition(text), text)
        }
    }

    func testCoversComparesOffsetsWithinOneEpochOnly() {
        let at5 = StreamPosition(epoch: "e", offset: 5)
        XCTAssertTrue(at5.covers(StreamPosition(epoch: "e", offset: 5)))
        XCTAssertTrue(at5.covers(StreamPosition(epoch: "e", offset: 1)))
        XCTAssertFalse(at5.covers(StreamPosition(epoch: "e", offset: 6)))
        XCTAssertFalse(at5.covers(StreamPosition(epoch: "f", offset: 1)), "another epoch is never covered")
    }

    func testASessionPositionHasAUserPartAndAnAllPartEitherMayBeEmpty() {
        let both = SessionPosition("e1-3.e2-40")
        XCTAssertEqual(both, SessionPosition(user: StreamPosition(epoch: "e1", offset: 3), all: StreamPosition(epoch: "e2", offset: 40)))
        XCTAssertEqual(both?.description, "e1-3.e2-40")
        XCTAssertEqual(SessionPosition(".e2-40")?.user, nil)
        XCTAssertEqual(SessionPosition("e1-3.")?.all, nil)
        XCTAssertEqual(SessionPosition("."), SessionPosition())
        for text in ["", "e1-3", "e1-3.e2-4.e3-5", "x.e2-4", "e1-3.y"] {
            XCTAssertNil(SessionPosition(text), text)
        }
    }

    func testStreamNamesAreTheOnesTheBrokersUse() {
        XCTAssertEqual(StreamID.user("alice").name, "u:alice")
        XCTAssertEqual(StreamID.all.name, "all")
    }

    func testAGapInOneEpochKnowsHowManyMessagesAreMissing() {
        let trimmed = StreamGap(
            stream: .all, reason: .historyTrimmed, after: StreamPosition(epoch: "e", offset: 3),
            resumesAfter: StreamPosition(epoch: "e", offset: 10))
        XCTAssertEqual(trimmed.missed, 7)
        let lost = StreamGap(
            stream: .all, reason: .historyLost, after: StreamPosition(epoch: "e", offset: 3),
            resumesAfter: StreamPosition(epoch: "f", offset: 0))
        XCTAssertNil(lost.missed, "across epochs nobody knows how many")
    }
}
