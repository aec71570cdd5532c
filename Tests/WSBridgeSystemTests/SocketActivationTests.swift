import WSBridgeSystem
import XCTest

final class SocketActivationTests: XCTestCase {
    func testNamedSocketsAreAssignedToTheirRoles() throws {
        let sockets = try ActivatedSockets.assign([("app", 4), ("ws", 3)])
        XCTAssertEqual(sockets, ActivatedSockets(webSocket: 3, app: 4))
    }

    func testEitherSocketMayBeMissing() throws {
        XCTAssertEqual(try ActivatedSockets.assign([("ws", 3)]), ActivatedSockets(webSocket: 3))
        XCTAssertTrue(try ActivatedSockets.assign([]).isEmpty)
    }

    func testAnUnexpectedNameIsAClearError() {
        XCTAssertThrowsError(try ActivatedSockets.assign([("ws", 3), ("metrics", 4)])) { error in
            XCTAssertTrue("\(error)".contains("unexpected socket named \"metrics\""), "\(error)")
        }
    }

    func testADuplicateNameIsAClearError() {
        XCTAssertThrowsError(try ActivatedSockets.assign([("ws", 3), ("ws", 4)])) { error in
            XCTAssertTrue("\(error)".contains("two sockets named \"ws\""), "\(error)")
        }
    }

    func testWithoutSystemdThereIsNothingToAdopt() throws {
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_PID")
        XCTAssertTrue(try ActivatedSockets.fromEnvironment().isEmpty)
    }
}
