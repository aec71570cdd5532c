import NIOCore
import WSBridgeProtocol
import XCTest

final class PresenceRequestTests: XCTestCase {
    func testPresenceTakesAListOfUserIdsDeduplicatedInOrder() throws {
        XCTAssertEqual(
            try parsed(#"{"type":"presence","id":1,"users":["bob",7,"bob","7","al"]}"#),
            .presence(id: RequestID(1), users: ["bob", "7", "al"]))
    }

    func testPresenceRefusesAMissingEmptyOrWrongList() {
        XCTAssertEqual(refusal(#"{"type":"presence","id":1}"#)?.code, .missingField)
        XCTAssertEqual(refusal(#"{"type":"presence","id":1,"users":[]}"#)?.code, .badField)
        XCTAssertEqual(refusal(#"{"type":"presence","id":1,"users":"bob"}"#)?.code, .badField)
        XCTAssertEqual(refusal(#"{"type":"presence","id":1,"users":[true]}"#)?.code, .badField)
        XCTAssertEqual(refusal(#"{"type":"presence","id":1,"users":["a"],"user":"b"}"#)?.code, .badField)
    }

    func testReceiptAndPresenceEventsAreBooleans() throws {
        XCTAssertEqual(
            try parsed(#"{"type":"publish","user":"a","data":1,"receipt":true}"#),
            .publish(id: nil, target: .user("a"), data: .json(ByteBuffer(string: "1")), receipt: true))
        XCTAssertEqual(refusal(#"{"type":"publish","user":"a","data":1,"receipt":1}"#)?.code, .badField)
        XCTAssertEqual(
            try parsed(#"{"type":"hello","protocol":1,"name":"n","paths":[],"presence_events":true}"#),
            .hello(id: nil, protocolVersion: 1, name: "n", paths: [], presenceEvents: true))
        XCTAssertEqual(refusal(#"{"type":"hello","protocol":1,"name":"n","paths":[],"presence_events":"yes"}"#)?.code, .badField)
    }

    func testTheLibrarysPresenceEventReadsAsAnEvent() {
        XCTAssertEqual(AppPresenceEvent(json: ByteBuffer(string: #"{"type":"offline","user":"a\/b"}"#)), AppPresenceEvent(online: false, user: "a/b"))
        XCTAssertNil(AppPresenceEvent(json: ByteBuffer(string: #"{"type":"ok"}"#)))
        XCTAssertNil(AppPresenceEvent(json: ByteBuffer(string: "nonsense")))
    }
}
