import XCTest

@testable import WSBridgeCore

final class UserSessionsTests: XCTestCase {
    func testSessionsComeAndGoInOrder() throws {
        let (a, b, c) = (Session(user: "u"), Session(user: "u"), Session(user: "u"))
        var sessions = UserSessions(a)
        XCTAssertEqual(sessions.map(ObjectIdentifier.init), [ObjectIdentifier(a)])
        sessions.append(b)
        sessions.append(c)
        XCTAssertEqual(sessions.map(ObjectIdentifier.init), [a, b, c].map(ObjectIdentifier.init))

        let withoutB = try XCTUnwrap(sessions.removing(b))
        XCTAssertEqual(withoutB.map(ObjectIdentifier.init), [a, c].map(ObjectIdentifier.init))
        XCTAssertEqual(sessions.count, 3, "a value: the original is unchanged")
        let onlyC = try XCTUnwrap(withoutB.removing(a))
        XCTAssertEqual(onlyC.map(ObjectIdentifier.init), [ObjectIdentifier(c)])
        XCTAssertEqual(onlyC.removing(a)?.count, 1, "a session not among them changes nothing")
        XCTAssertNil(onlyC.removing(c), "the last one gone")
    }

    /// One session is held in the word of the map's entry: no array, no allocation.
    func testOneSessionTakesOneWord() {
        XCTAssertEqual(MemoryLayout<UserSessions>.size, MemoryLayout<Int>.size)
    }
}
