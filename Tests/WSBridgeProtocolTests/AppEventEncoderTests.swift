import Foundation
import NIOCore
import WSBridgeProtocol
import XCTest

final class AppEventEncoderTests: XCTestCase {
    private let allocator = ByteBufferAllocator()

    /// The event encoded, parsed back by Foundation (an independent JSON parser).
    private func decoded(_ event: AppEvent, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let bytes = AppEventEncoder.encode(event, allocator: allocator)
        let object = try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))
        return try XCTUnwrap(object as? [String: Any], "not an object: \(String(buffer: bytes))", file: file, line: line)
    }

    private func text(_ event: AppEvent) -> String {
        String(buffer: AppEventEncoder.encode(event, allocator: allocator))
    }

    // MARK: Every event

    func testWelcomeAnnouncesProtocolNodeVersionAndLimits() throws {
        let limits = AppLimits(maxFrameBytes: 1_048_576, maxQueueBytes: 4_194_304, connectTimeoutMilliseconds: 5_000)
        let object = try decoded(.welcome(id: RequestID(string: "h"), node: "web-1", version: "0.3.0", limits: limits))
        XCTAssertEqual(object["type"] as? String, "welcome")
        XCTAssertEqual(object["id"] as? String, "h", "welcome is the reply to hello and echoes its id")
        XCTAssertEqual(object["protocol"] as? Int, 1)
        XCTAssertEqual(object["node"] as? String, "web-1")
        XCTAssertEqual(object["version"] as? String, "0.3.0")
        let sent = try XCTUnwrap(object["limits"] as? [String: Any])
        XCTAssertEqual(sent["max_frame_bytes"] as? Int, 1_048_576)
        XCTAssertEqual(sent["app_max_queue_bytes"] as? Int, 4_194_304, "the config key's name")
        XCTAssertEqual(sent["max_queue_bytes"] as? Int, 4_194_304, "the 0.1 name, kept")
        XCTAssertEqual(sent["connect_timeout_ms"] as? Int, 5_000)
    }

    func testTheDefaultLimitsAreTheDocumentedOnes() {
        XCTAssertEqual(AppLimits(), AppLimits(maxFrameBytes: 1 << 20, maxQueueBytes: 4 << 20, connectTimeoutMilliseconds: 5_000))
    }

    func testConnectLowerCasesHeaderNamesAndJoinsRepeatedOnes() throws {
        let headers = [
            (name: "Host", value: "example.com"), (name: "X-Forwarded-For", value: "10.0.0.1"),
            (name: "Cookie", value: "a=1"), (name: "x-forwarded-for", value: "10.0.0.2"),
        ]
        let event = AppEvent.connect(
            conn: "c42", path: "/ws", query: "token=abc&x=%20", headers: headers, remote: "192.0.2.7:51234", user: nil
        )
        let object = try decoded(event)
        XCTAssertEqual(object["type"] as? String, "connect")
        XCTAssertEqual(object["conn"] as? String, "c42")
        XCTAssertEqual(object["path"] as? String, "/ws")
        XCTAssertEqual(object["query"] as? String, "token=abc&x=%20")
        XCTAssertEqual(object["remote"] as? String, "192.0.2.7:51234")
        XCTAssertNil(object["user"], "no user before the app decides")
        let sent = try XCTUnwrap(object["headers"] as? [String: String])
        XCTAssertEqual(sent, ["host": "example.com", "x-forwarded-for": "10.0.0.1, 10.0.0.2", "cookie": "a=1"])
        XCTAssertTrue(text(event).contains(#""headers":{"host":"example.com","x-forwarded-for":"10.0.0.1, 10.0.0.2","cookie":"a=1"}"#))
    }

    func testRepeatedCookieHeadersAreJoinedAsOneCookieHeader() throws {
        // HTTP/2 proxies split Cookie into one field per pair; a value may hold a comma.
        let headers = [(name: "cookie", value: "a=1"), (name: "Cookie", value: "list=x,y"), (name: "cookie", value: "b=2")]
        let event = AppEvent.connect(conn: "c1", path: "/ws", query: "", headers: headers, remote: "192.0.2.7:1", user: nil)
        let sent = try XCTUnwrap(try decoded(event)["headers"] as? [String: String])
        XCTAssertEqual(sent, ["cookie": "a=1; list=x,y; b=2"])
    }

    func testConnectCarriesTheUserWhenTheDaemonAuthenticated() throws {
        let event = AppEvent.connect(conn: "c1", path: "/ws", query: "", headers: [], remote: "[::1]:1", user: "alice")
        let object = try decoded(event)
        XCTAssertEqual(object["user"] as? String, "alice")
        XCTAssertEqual(object["headers"] as? [String: String], [:])
        XCTAssertEqual(object["query"] as? String, "")
    }

    func testMessageCarriesTextAsAJSONString() throws {
        let object = try decoded(.message(conn: "c1", user: "42", payload: ByteBuffer(string: "hello"), isBinary: false))
        XCTAssertEqual(object["type"] as? String, "message")
        XCTAssertEqual(object["conn"] as? String, "c1")
        XCTAssertEqual(object["user"] as? String, "42")
        XCTAssertEqual(object["data"] as? String, "hello")
        XCTAssertNil(object["binary"])
    }

    func testMessageCarriesBinaryAsBase64() throws {
        let bytes: [UInt8] = [0, 1, 2, 0xFE, 0xFF]
        let object = try decoded(.message(conn: "c1", user: "u", payload: ByteBuffer(bytes: bytes), isBinary: true))
        XCTAssertEqual(object["binary"] as? Bool, true)
        let data = try XCTUnwrap(object["data"] as? String)
        XCTAssertEqual(Data(base64Encoded: data).map(Array.init), bytes)
    }

    func testClosedCarriesTheCodeWhenThereIsOne() throws {
        let object = try decoded(.closed(conn: "c1", user: "u", code: 1001, reason: "going away"))
        XCTAssertEqual(object["type"] as? String, "closed")
        XCTAssertEqual(object["conn"] as? String, "c1")
        XCTAssertEqual(object["user"] as? String, "u")
        XCTAssertEqual(object["code"] as? Int, 1001)
        XCTAssertEqual(object["reason"] as? String, "going away")
        let abrupt = try decoded(.closed(conn: "c1", user: "u", code: nil, reason: "connection reset"))
        XCTAssertNil(abrupt["code"])
        XCTAssertEqual(abrupt["reason"] as? String, "connection reset")
    }

    func testDeliverCarriesTheSessionAndTheData() throws {
        let object = try decoded(.deliver(session: "s-9", user: "A", payload: ByteBuffer(string: #"{"n":1}"#), isBinary: false))
        XCTAssertEqual(object["type"] as? String, "deliver")
        XCTAssertEqual(object["session"] as? String, "s-9")
        XCTAssertEqual(object["user"] as? String, "A")
        XCTAssertEqual(object["data"] as? String, #"{"n":1}"#, "data is the text clients receive, as a string")
        let binary = try decoded(.deliver(session: "s", user: "A", payload: ByteBuffer(bytes: [7]), isBinary: true))
        XCTAssertEqual(binary["data"] as? String, "Bw==")
        XCTAssertEqual(binary["binary"] as? Bool, true)
    }

    func testOkAndPongEchoTheRawID() throws {
        XCTAssertEqual(text(.ok(id: RequestID(7))), #"{"type":"ok","id":7}"#)
        XCTAssertEqual(text(.ok(id: RequestID(json: #""a\u0062""#))), #"{"type":"ok","id":"a\u0062"}"#)
        XCTAssertEqual(text(.ok(id: nil)), #"{"type":"ok"}"#)
        XCTAssertEqual(text(.pong(id: RequestID(string: "p"))), #"{"type":"pong","id":"p"}"#)
        XCTAssertEqual(try decoded(.pong(id: nil))["type"] as? String, "pong")
    }

    func testErrorCarriesCodeMessageAndID() throws {
        let object = try decoded(.error(id: RequestID(3), code: .unknownConn, message: "no connection \"c9\""))
        XCTAssertEqual(object["type"] as? String, "error")
        XCTAssertEqual(object["id"] as? Int, 3)
        XCTAssertEqual(object["code"] as? String, "unknown_conn")
        XCTAssertEqual(object["message"] as? String, "no connection \"c9\"")
        XCTAssertEqual(text(.error(id: nil, code: .invalidJSON, message: "m")), #"{"type":"error","code":"invalid_json","message":"m"}"#)
    }

    func testAnErrorBecomesItsEvent() throws {
        let error = AppProtocolError.unknownSession(id: RequestID(string: "r"), session: "s1")
        let object = try decoded(.failure(error))
        XCTAssertEqual(object["code"] as? String, "unknown_session")
        XCTAssertEqual(object["id"] as? String, "r")
        XCTAssertEqual(object["message"] as? String, error.message)
    }

    func testShutdownCarriesTheDrainTime() throws {
        XCTAssertEqual(text(.shutdown(drainMilliseconds: 10_000)), #"{"type":"shutdown","drain_ms":10000}"#)
    }

    func testStatusEchoesTheIDAndWritesTheBodyAsItStands() throws {
        let body = ByteBuffer(string: #"{"connections":3,"apps":[{"name":"chat"}], "broker" : {"ok":true}}"#)
        XCTAssertEqual(
            text(.status(id: RequestID(5), body: body)),
            #"{"type":"status","id":5,"status":{"connections":3,"apps":[{"name":"chat"}], "broker" : {"ok":true}}}"#
        )
        let object = try decoded(.status(id: nil, body: body))
        XCTAssertNil(object["id"])
        XCTAssertEqual((object["status"] as? [String: Any])?["connections"] as? Int, 3)
        XCTAssertEqual(text(.status(id: nil, body: ByteBuffer())), #"{"type":"status","status":{}}"#, "never invalid JSON")
    }

    // MARK: Escaping

    func testTextWithQuotesNewlinesControlsAndUnicodeIsEscapedCorrectly() throws {
        let tricky = "say \"hi\"\\\n\r\t\u{0}\u{1F}\u{7F} é ✓ 🎉 </script>"
        let event = AppEvent.message(conn: "c1", user: "u\"\n", payload: ByteBuffer(string: tricky), isBinary: false)
        let object = try decoded(event)
        XCTAssertEqual(object["data"] as? String, tricky)
        XCTAssertEqual(object["user"] as? String, "u\"\n")
        XCTAssertTrue(text(event).contains(#""data":"say \"hi\"\\\n\r\t\u0000\u001f"#), text(event))
    }

    func testInvalidUTF8InATextPayloadStillGivesValidJSON() throws {
        let event = AppEvent.message(conn: "c1", user: "u", payload: ByteBuffer(bytes: [0x61, 0xFF, 0x62, 0xC3]), isBinary: false)
        XCTAssertEqual(try decoded(event)["data"] as? String, "a\u{FFFD}b\u{FFFD}")
    }

    // MARK: Framing

    func testFrameIsTheLengthThenTheEncodedJSON() throws {
        let event = AppEvent.message(conn: "c1", user: "u", payload: ByteBuffer(string: String(repeating: "x", count: 300)), isBinary: false)
        let body = AppEventEncoder.encode(event, allocator: allocator)
        var frame = AppEventEncoder.frame(event, allocator: allocator)
        XCTAssertEqual(frame.readInteger(endianness: .big, as: UInt32.self), UInt32(body.readableBytes))
        XCTAssertEqual(frame, body)
    }

    func testEveryEventHasItsType() {
        let events: [AppEvent] = [
            .welcome(id: nil, node: "n", version: "v", limits: AppLimits()),
            .connect(conn: "c", path: "/", query: "", headers: [], remote: "r", user: nil),
            .message(conn: "c", user: "u", payload: ByteBuffer(), isBinary: false),
            .closed(conn: "c", user: "u", code: nil, reason: ""),
            .deliver(session: "s", user: "u", payload: ByteBuffer(), isBinary: true),
            .ok(id: nil), .error(id: nil, code: .internal, message: ""), .pong(id: nil), .shutdown(drainMilliseconds: 0),
            .status(id: nil, body: ByteBuffer(string: "{}")),
        ]
        XCTAssertEqual(
            events.map(\.type),
            ["welcome", "connect", "message", "closed", "deliver", "ok", "error", "pong", "shutdown", "status"]
        )
        for event in events {
            XCTAssertTrue(text(event).hasPrefix("{\"type\":\"\(event.type)\""), text(event))
        }
    }
}
