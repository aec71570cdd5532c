import XCTest
@testable import WSBridgeSystem

final class UsableCPUsTests: XCTestCase {
    func testCPUListsAreCounted() {
        XCTAssertEqual(UsableCPUs.countList("0"), 1)
        XCTAssertEqual(UsableCPUs.countList("0-3"), 4)
        XCTAssertEqual(UsableCPUs.countList("0-3,8,10-11\n"), 7)
        XCTAssertEqual(UsableCPUs.countList("\t0-1"), 2)
    }

    func testMalformedListsAreNotGuessed() {
        XCTAssertNil(UsableCPUs.countList(""))
        XCTAssertNil(UsableCPUs.countList("3-1"))
        XCTAssertNil(UsableCPUs.countList("a-b"))
        XCTAssertNil(UsableCPUs.countList("1-2-3"))
    }

    func testThisProcessHasAtLeastOneUsableCPU() {
        XCTAssertGreaterThanOrEqual(UsableCPUs.count(), 1)
        XCTAssertNotNil(UsableCPUs.affinityCount())
    }
}
