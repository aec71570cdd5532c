import NIOCore
import WSBridgeProtocol
import XCTest

/// Requests that parse, one test per request type, plus ids, user ids, data forms and forward compatibility.
final class AppRequestParserTests: XCTestCase {
    // MARK: Every request type

    func testHelloCarriesVersionNameAndPaths() throws {
        XCTAssertEqual(
            try parsed(#"{"type":"hello","protocol":1,"name":"chat","paths":["/ws","/chat/v2"]}"#),
            .hello(id: nil, protocolVersion: 1, name: "chat", paths: ["/ws", "/chat/v2"])
        )
    }

    func testHelloWithNoPathsIsAPublisherOnlyApp() throws {
        XCTAssertEqual(
            try parsed(#"{"type":"hello","protocol":1,"name":"cron","paths":[]}"#),
            .hello(id: nil, protocolVersion: 1, name: "cron", paths: [])
        )
    }

    func testHelloMayAttachATool() throws {
        XCTAssertEqual(
            try parsed(#"{"type":"hello","protocol":1,"name":"wsbridge-status","paths":[],"tool":true}"#),
            .hello(id: nil, protocolVersion: 1, name: "wsbridge-status", paths: [], tool: true)
        )
        XCTAssertEqual(
            try parsed(#"{"type":"hello","protocol":1,"name":"cron","paths":[],"tool":false}"#),
            .hello(id: nil, protocolVersion: 1, name: "cron", paths: [])
        )
    }

    func testAToolServesNoPaths() {
        let error = refusal(ByteBuffer(string: #"{"type":"hello","id":3,"protocol":1,"name":"t","paths":["/ws"],"tool":true}"#))
        XCTAssertEqual(error?.code, .badField)
        XCTAssertEqual(error?.message, #"a tool ("tool": true) serves no paths; "paths" must be empty"#)
        XCTAssertEqual(error?.id, RequestID(3))
    }

    func testHelloDropsRepeatedPathsKeepingOrder() throws {
        XCTAssertEqual(
            try parsed(#"{"type":"hello","protocol":1,"name":"a","paths":["/b","/a","/b","\/a"]}"#),
            .hello(id: nil, protocolVersion: 1, name: "a", paths: ["/b", "/a"])
        )
    }

    func testHelloLeavesTheVersionCheckToTheDaemon() throws {
        XCTAssertEqual(
            try parsed(#"{"type":"hello","protocol":2,"name":"a","paths":[]}"#),
            .hello(id: nil, protocolVersion: 2, name: "a", paths: [])
        )
    }

    func testAcceptNamesTheConnectionAndItsUser() throws {
        XCTAssertEqual(try parsed(#"{"type":"accept","conn":"c42","user":"alice"}"#), .accept(id: nil, conn: "c42", user: "alice"))
    }

    func testRejectDefaultsTo403WithNoReason() throws {
        XCTAssertEqual(try parsed(#"{"type":"reject","conn":"c1"}"#), .reject(id: nil, conn: "c1", status: 403, reason: ""))
        XCTAssertEqual(
            try parsed(#"{"type":"reject","conn":"c1","status":401,"reason":"bad token"}"#),
            .reject(id: nil, conn: "c1", status: 401, reason: "bad token")
        )
    }

    func testRejectStatusBoundariesAreAccepted() throws {
        for status in [400, 599] {
            XCTAssertEqual(
                try parsed(#"{"type":"reject","conn":"c1","status":\#(status)}"#),
                .reject(id: nil, conn: "c1", status: status, reason: "")
            )
        }
    }

    func testRegisterAndUnregisterNameASession() throws {
        XCTAssertEqual(
            try parsed(#"{"type":"register","session":"s-1","user":"bob"}"#),
            .register(id: nil, session: "s-1", user: "bob")
        )
        XCTAssertEqual(try parsed(#"{"type":"unregister","session":"s-1"}"#), .unregister(id: nil, session: "s-1"))
    }

    func testPublishToOneUser() throws {
        XCTAssertEqual(
            try parsed(#"{"type":"publish","user":"A","data":"hi"}"#),
            .publish(id: nil, target: .user("A"), data: .text(ByteBuffer(string: "hi")))
        )
    }

    func testPublishToSeveralUsersDropsDuplicatesKeepingOrder() throws {
        XCTAssertEqual(
            try parsed(#"{"type":"publish","users":["B",7,"A","B","7"],"data":1}"#),
            .publish(id: nil, target: .users(["B", "7", "A"]), data: .json(ByteBuffer(string: "1")))
        )
        let list = (0..<40).map { "\"u\($0 % 25)\"" }.joined(separator: ",")
        guard case .publish(_, let target, _, _) = try parsed(#"{"type":"publish","users":[\#(list)],"data":1}"#) else {
            return XCTFail("not a publish")
        }
        XCTAssertEqual(target, .users((0..<25).map { "u\($0)" }), "long lists are deduplicated through a set, same result")
    }

    func testPublishToEveryone() throws {
        XCTAssertEqual(
            try parsed(#"{"type":"publish","all":true,"data":{"n":1}}"#),
            .publish(id: nil, target: .all, data: .json(ByteBuffer(string: #"{"n":1}"#)))
        )
    }

    func testSendToOneConnection() throws {
        XCTAssertEqual(
            try parsed(#"{"type":"send","conn":"c3","data":"x"}"#),
            .send(id: nil, conn: "c3", data: .text(ByteBuffer(string: "x")))
        )
    }

    func testCloseDefaultsTo1000WithNoReason() throws {
        XCTAssertEqual(try parsed(#"{"type":"close","conn":"c1"}"#), .close(id: nil, conn: "c1", code: 1000, reason: ""))
        XCTAssertEqual(
            try parsed(#"{"type":"close","conn":"c1","code":4001,"reason":"kicked"}"#),
            .close(id: nil, conn: "c1", code: 4001, reason: "kicked")
        )
    }

    func testCloseCodeBoundariesAreAccepted() throws {
        for code in [1000, 3000, 4999] {
            XCTAssertEqual(
                try parsed(#"{"type":"close","conn":"c1","code":\#(code)}"#),
                .close(id: nil, conn: "c1", code: code, reason: "")
            )
        }
    }

    func testPingNeedsNothingElse() throws {
        XCTAssertEqual(try parsed(#"{"type":"ping"}"#), .ping(id: nil))
        XCTAssertEqual(try parsed(#"{"type":"ping"}"#).type, "ping")
    }

    func testStatusNeedsNothingElse() throws {
        XCTAssertEqual(try parsed(#"{"type":"status","id":5}"#), .status(id: RequestID(5)))
        XCTAssertEqual(try parsed(#"{"type":"status","verbose":true}"#), .status(id: nil), "unknown members are ignored")
        XCTAssertEqual(try parsed(#"{"type":"status"}"#).type, "status")
    }

    // MARK: Ids

    func testAStringIDIsKeptAsItsRawJSONText() throws {
        XCTAssertEqual(try parsed(#"{"type":"ping","id":"abc"}"#).id, RequestID(json: #""abc""#))
        XCTAssertEqual(try parsed(#"{"type":"ping","id":"a\u0062\"c"}"#).id, RequestID(json: #""a\u0062\"c""#))
    }

    func testAnIntegerIDIsKeptAsItsRawJSONText() throws {
        XCTAssertEqual(try parsed(#"{"type":"ping","id":7}"#).id, RequestID(7))
        XCTAssertEqual(try parsed(#"{"type":"ping","id":-3}"#).id, RequestID(json: "-3"))
        XCTAssertEqual(
            try parsed(#"{"id":123456789012345678901234567890,"type":"ping"}"#).id,
            RequestID(json: "123456789012345678901234567890"),
            "an id is never interpreted, so any number of digits is fine"
        )
    }

    func testEveryRequestTypeCarriesItsID() throws {
        let requests = [
            #"{"type":"hello","protocol":1,"name":"a","paths":[],"id":9}"#,
            #"{"type":"accept","conn":"c1","user":"u","id":9}"#,
            #"{"type":"reject","conn":"c1","id":9}"#,
            #"{"type":"register","session":"s","user":"u","id":9}"#,
            #"{"type":"unregister","session":"s","id":9}"#,
            #"{"type":"publish","all":true,"data":1,"id":9}"#,
            #"{"type":"send","conn":"c1","data":1,"id":9}"#,
            #"{"type":"close","conn":"c1","id":9}"#,
            #"{"type":"ping","id":9}"#,
        ]
        for request in requests {
            let parsed = try parsed(request)
            XCTAssertEqual(parsed.id, RequestID(9), request)
            XCTAssertTrue(request.contains("\"type\":\"\(parsed.type)\""), request)
        }
    }

    // MARK: User ids

    func testIntegerAndStringUserIDsNameTheSameUser() throws {
        XCTAssertEqual(try parsed(#"{"type":"accept","conn":"c1","user":42}"#), .accept(id: nil, conn: "c1", user: "42"))
        XCTAssertEqual(try parsed(#"{"type":"accept","conn":"c1","user":-7}"#), .accept(id: nil, conn: "c1", user: "-7"))
        XCTAssertEqual(try parsed(#"{"type":"register","session":"s","user":42}"#), .register(id: nil, session: "s", user: "42"))
        XCTAssertEqual(
            try parsed(#"{"type":"publish","user":42,"data":1}"#),
            .publish(id: nil, target: .user("42"), data: .json(ByteBuffer(string: "1")))
        )
    }

    func testAUserIDOfExactly256BytesIsAccepted() throws {
        let id = String(repeating: "é", count: 128)
        XCTAssertEqual(try parsed(#"{"type":"accept","conn":"c1","user":"\#(id)"}"#), .accept(id: nil, conn: "c1", user: id))
    }

    // MARK: Data

    func testTextDataIsUnescaped() throws {
        guard case .send(_, _, let data) = try parsed(#"{"type":"send","conn":"c1","data":"a\"b\n\u00e9\ud83c\udf89"}"#) else {
            return XCTFail("not a send")
        }
        XCTAssertEqual(data, .text(ByteBuffer(string: "a\"b\né🎉")))
        XCTAssertFalse(data.isBinary)
    }

    func testNonStringDataIsKeptAsItsRawJSONTextExactlyAsWritten() throws {
        for raw in [#"{ "a" : [1, 2.50, "x"] }"#, "[]", "-1.5e3", "true", "false", "null", #"{"nested":{"deep":[{}]}}"#] {
            guard case .publish(_, _, let data, _) = try parsed(#"{"type":"publish","all":true,"data":\#(raw)}"#) else {
                return XCTFail("not a publish")
            }
            XCTAssertEqual(data, .json(ByteBuffer(string: raw)))
        }
    }

    func testBinaryDataIsDecodedFromBase64() throws {
        let cases: [(String, [UInt8])] = [("AAEC/w==", [0, 1, 2, 255]), ("AAEC/w", [0, 1, 2, 255]), (#"AAEC\/w=="#, [0, 1, 2, 255]), ("", [])]
        for (base64, bytes) in cases {
            guard case .send(_, _, let data) = try parsed(#"{"type":"send","conn":"c1","data":"\#(base64)","binary":true}"#) else {
                return XCTFail("not a send")
            }
            XCTAssertEqual(data, .binary(ByteBuffer(bytes: bytes)), base64)
            XCTAssertTrue(data.isBinary)
        }
    }

    func testBinaryFalseIsText() throws {
        XCTAssertEqual(
            try parsed(#"{"type":"send","conn":"c1","data":"AAEC","binary":false}"#),
            .send(id: nil, conn: "c1", data: .text(ByteBuffer(string: "AAEC")))
        )
    }

    // MARK: Forward compatibility

    func testUnknownMembersAreIgnored() throws {
        XCTAssertEqual(
            try parsed(#"{"v2":{"nested":[1,{"x":null}]},"type":"ping","extra":true,"extra":false,"id":1}"#),
            .ping(id: RequestID(1))
        )
        XCTAssertEqual(
            try parsed(#"{"type":"accept","conn":"c1","user":"u","priority":"high"}"#),
            .accept(id: nil, conn: "c1", user: "u")
        )
    }

    func testWhitespaceAroundTheObjectIsAllowed() throws {
        XCTAssertEqual(try parsed(" \n{ \"type\" : \"ping\" }\r\n"), .ping(id: nil))
    }

    func testAnEscapedTypeNameIsUnescaped() throws {
        XCTAssertEqual(try parsed(#"{"type":"p\u0069ng"}"#), .ping(id: nil))
    }
}
