import WSBridgeProtocol
import XCTest

final class AppProtocolErrorTests: XCTestCase {
    func testCodesAreTheDocumentedWireStrings() {
        XCTAssertEqual(
            AppProtocolError.Code.allVersion1.map(\.rawValue),
            [
                "frame_too_large", "invalid_utf8", "invalid_json", "not_an_object", "missing_type", "unknown_type",
                "missing_field", "bad_field", "hello_required", "duplicate_hello", "unsupported_protocol",
                "unknown_conn", "not_pending", "unknown_session", "duplicate_session", "publish_failed", "presence_unavailable",
                "slow_consumer", "internal",
            ]
        )
    }

    func testOnlyFrameTooLargeAndSlowConsumerCloseTheConnection() {
        let closing = AppProtocolError.Code.allVersion1.filter { AppProtocolError(code: $0, message: "").closesConnection }
        XCTAssertEqual(closing, [.frameTooLarge, .slowConsumer])
    }

    func testACodeFromANewerDaemonIsKeptAsItsString() {
        let code = AppProtocolError.Code(rawValue: "rate_limited")
        XCTAssertEqual(code.rawValue, "rate_limited")
        XCTAssertFalse(AppProtocolError.Code.allVersion1.contains(code))
    }

    func testTheDescriptionNamesCodeRequestAndMessage() {
        XCTAssertEqual(AppProtocolError(code: .badField, message: "m", id: RequestID(4)).description, "bad_field (request 4): m")
        XCTAssertEqual(AppProtocolError(code: .invalidJSON, message: "m").description, "invalid_json: m")
    }

    func testTheDaemonSideErrorsCarryTheirCodeAndID() {
        let id = RequestID(string: "q")
        let errors: [(AppProtocolError, AppProtocolError.Code)] = [
            (.helloRequired(id: id, request: "send"), .helloRequired),
            (.duplicateHello(id: id), .duplicateHello),
            (.unsupportedProtocol(id: id, version: 2), .unsupportedProtocol),
            (.unknownConn(id: id, conn: "c9"), .unknownConn),
            (.notPending(id: id, conn: "c9"), .notPending),
            (.unknownSession(id: id, session: "s"), .unknownSession),
            (.duplicateSession(id: id, session: "s"), .duplicateSession),
            (.publishFailed(id: id, reason: "broker down"), .publishFailed),
            (.internal(id: id, reason: "oops"), .internal),
        ]
        for (error, code) in errors {
            XCTAssertEqual(error.code, code)
            XCTAssertEqual(error.id, id)
            XCTAssertFalse(error.closesConnection, "\(code)")
            XCTAssertFalse(error.message.isEmpty)
        }
        XCTAssertEqual(AppProtocolError.slowConsumer(limit: 4096).code, .slowConsumer)
        XCTAssertTrue(AppProtocolError.slowConsumer(limit: 4096).closesConnection)
        XCTAssertTrue(AppProtocolError.unsupportedProtocol(id: nil, version: 2).message.contains("protocol 1"))
    }

    func testRequestIDsWriteTheirJSON() {
        XCTAssertEqual(RequestID(12).json, "12")
        XCTAssertEqual(RequestID(string: "a\"b").json, #""a\"b""#)
        XCTAssertEqual(RequestID(json: "7"), RequestID(7))
    }
}
