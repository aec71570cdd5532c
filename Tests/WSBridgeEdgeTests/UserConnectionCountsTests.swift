import XCTest

@testable import WSBridgeEdge

final class UserConnectionCountsTests: XCTestCase {
    func testAUserIsRefusedAtTheLimitAndFreedPlacesAreTakenAgain() {
        let counts = UserConnectionCounts()
        XCTAssertTrue(counts.reserve("alice", limit: 2))
        XCTAssertTrue(counts.reserve("alice", limit: 2))
        XCTAssertFalse(counts.reserve("alice", limit: 2))
        XCTAssertTrue(counts.reserve("bob", limit: 2), "per user")
        counts.release("alice")
        XCTAssertEqual(counts.held(by: "alice"), 1)
        XCTAssertTrue(counts.reserve("alice", limit: 2))
    }

    func testWithoutALimitEveryConnectionIsCountedSoThatALaterLimitSeesThem() {
        let counts = UserConnectionCounts()
        for _ in 0..<5 { XCTAssertTrue(counts.reserve("alice", limit: nil)) }
        XCTAssertFalse(counts.reserve("alice", limit: 5), "a limit set by a reload counts the open connections")
        for _ in 0..<5 { counts.release("alice") }
        XCTAssertEqual(counts.held(by: "alice"), 0)
        counts.release("alice")
        XCTAssertEqual(counts.held(by: "alice"), 0, "never below zero")
    }
}
