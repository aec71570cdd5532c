@testable import WSBridgeClient
import WSBridgeProtocol
import XCTest

final class ReplyMatcherTests: XCTestCase {
    func testIDsAreIncrementingIntegersFromOne() {
        var matcher = ReplyMatcher<String>()
        XCTAssertEqual((0..<3).map { _ in matcher.assignID() }, [RequestID(1), RequestID(2), RequestID(3)])
        XCTAssertEqual(matcher.assignID().json, "4")
    }

    func testAReplyIsMatchedByIDWhateverTheOrder() {
        var matcher = ReplyMatcher<String>()
        for name in ["a", "b", "c"] {
            matcher.expect(matcher.assignID(), name)
        }
        XCTAssertEqual(matcher.match(RequestID(2)), "b")
        XCTAssertEqual(matcher.match(RequestID(3)), "c")
        XCTAssertEqual(matcher.match(RequestID(1)), "a")
        XCTAssertEqual(matcher.count, 0)
    }

    func testAReplyWithoutAnIDAnswersTheOldestRequest() {
        var matcher = ReplyMatcher<String>()
        matcher.expect(matcher.assignID(), "first")
        matcher.expect(matcher.assignID(), "second")
        XCTAssertEqual(matcher.match(nil), "first")
        XCTAssertEqual(matcher.match(nil), "second")
        XCTAssertNil(matcher.match(nil), "nothing left in flight")
    }

    func testAReplyForNoRequestInFlightMatchesNothing() {
        var matcher = ReplyMatcher<String>()
        matcher.expect(matcher.assignID(), "a")
        XCTAssertNil(matcher.match(RequestID(7)))
        XCTAssertNil(matcher.match(RequestID(string: "1")), "\"1\" is not the id 1: ids compare as raw JSON text")
        XCTAssertEqual(matcher.match(RequestID(1)), "a")
        XCTAssertNil(matcher.match(RequestID(1)), "a request is answered once")
    }

    func testWithdrawnAndRemovedRequestsAreNoLongerInFlight() {
        var matcher = ReplyMatcher<String>()
        for name in ["a", "b", "c"] {
            matcher.expect(matcher.assignID(), name)
        }
        XCTAssertEqual(matcher.withdraw(RequestID(2)), "b")
        XCTAssertNil(matcher.withdraw(RequestID(2)))
        XCTAssertEqual(matcher.removeAll(), ["a", "c"], "oldest first")
        XCTAssertEqual(matcher.count, 0)
        XCTAssertEqual(matcher.assignID(), RequestID(4), "ids are never reused")
    }
}
