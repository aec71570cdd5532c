import Foundation
import NIOCore
import WSBridgeProtocol
import XCTest

final class AppRequestEncoderTests: XCTestCase {
    private let allocator = ByteBufferAllocator()

    private func text(_ request: AppRequest) -> String {
        String(buffer: AppRequestEncoder.encode(request, allocator: allocator))
    }

    /// The request encoded, parsed back by Foundation (an independent JSON parser).
    private func decoded(_ request: AppRequest, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let bytes = AppRequestEncoder.encode(request, allocator: allocator)
        let object = try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))
        return try XCTUnwrap(object as? [String: Any], "not an object: \(String(buffer: bytes))", file: file, line: line)
    }

    /// Every request case, with every form of id, target and data, and strings that need escaping.
    static let everyRequest: [AppRequest] = [
        .hello(id: RequestID(1), protocolVersion: 1, name: "chat", paths: ["/ws", "/chat/v2"]),
        .hello(id: nil, protocolVersion: 1, name: "cron \"nightly\"", paths: []),
        .hello(id: RequestID(20), protocolVersion: 1, name: "wsbridge-status", paths: [], tool: true),
        .accept(id: RequestID(2), conn: "c1", user: "alice"),
        .accept(id: RequestID(string: "a-1"), conn: "c2", user: "42"),
        .reject(id: RequestID(3), conn: "c1", status: 403, reason: ""),
        .reject(id: RequestID(json: #""a\u0062""#), conn: "c1", status: 401, reason: "bad token\n\tplease log in ✓"),
        .register(id: RequestID(4), session: "s-1", user: "bob"),
        .unregister(id: RequestID(5), session: "s-1"),
        .publish(id: RequestID(6), target: .user("alice"), data: .text(ByteBuffer(string: #"say "hi" \ / 🎉"#))),
        .publish(id: RequestID(7), target: .users(["alice", "bob", "7"]), data: .json(ByteBuffer(string: #"{"text": "hi all", "n": [1, 2.5e3, null]}"#))),
        .publish(id: RequestID(8), target: .all, data: .binary(ByteBuffer(bytes: [0, 1, 2, 0xFE, 0xFF]))),
        .publish(id: nil, target: .all, data: .json(ByteBuffer(string: "false"))),
        .publish(id: RequestID(9), target: .user("u"), data: .text(ByteBuffer())),
        .publish(id: RequestID(10), target: .user("u"), data: .binary(ByteBuffer())),
        .send(id: RequestID(11), conn: "c1", data: .text(ByteBuffer(string: "\u{0}\u{1F}\u{7F}é"))),
        .send(id: RequestID(12), conn: "c1", data: .json(ByteBuffer(string: "-0.5"))),
        .send(id: RequestID(13), conn: "c1", data: .binary(ByteBuffer(bytes: [7]))),
        .close(id: RequestID(14), conn: "c1", code: 1000, reason: ""),
        .close(id: RequestID(15), conn: "c1", code: 4000, reason: "bye"),
        .ping(id: RequestID(16)),
        .ping(id: nil),
        .status(id: RequestID(17)),
        .status(id: nil),
        .hello(id: RequestID(21), protocolVersion: 1, name: "chat", paths: ["/ws"], presenceEvents: true),
        .publish(id: RequestID(22), target: .users(["alice", "bob"]), data: .text(ByteBuffer(string: "hi")), receipt: true),
        .presence(id: RequestID(23), users: ["alice", "42", "b\"c"]),
    ]

    // MARK: Round trip

    func testEveryRequestParsesBackToAnEqualValue() throws {
        for request in Self.everyRequest {
            let json = text(request)
            XCTAssertEqual(AppRequestParser.parse(ByteBuffer(string: json)), .success(request), json)
            XCTAssertNoThrow(try AppRequestEncoder.check(request), json)
            XCTAssertNoThrow(try decoded(request), "Foundation reads it too: \(json)")
        }
    }

    func testEveryRequestHasItsTypeFirstThenItsID() {
        let types = Set(Self.everyRequest.map(\.type))
        XCTAssertEqual(types, ["hello", "accept", "reject", "register", "unregister", "publish", "send", "close", "ping", "status", "presence"])
        for request in Self.everyRequest {
            let prefix = "{\"type\":\"\(request.type)\"" + (request.id.map { ",\"id\":\($0.json)" } ?? "")
            XCTAssertTrue(text(request).hasPrefix(prefix), text(request))
        }
    }

    func testFrameIsTheLengthThenTheEncodedJSON() {
        let request = AppRequest.publish(id: RequestID(1), target: .all, data: .text(ByteBuffer(repeating: 0x78, count: 300)))
        let body = AppRequestEncoder.encode(request, allocator: allocator)
        var frame = AppRequestEncoder.frame(request, allocator: allocator)
        XCTAssertEqual(frame.readInteger(endianness: .big, as: UInt32.self), UInt32(body.readableBytes))
        XCTAssertEqual(frame, body)
    }

    // MARK: Exact text

    func testRequestsAreCompactWithDefaultsLeftOut() {
        XCTAssertEqual(text(.ping(id: nil)), #"{"type":"ping"}"#)
        XCTAssertEqual(text(.status(id: RequestID(5))), #"{"type":"status","id":5}"#)
        XCTAssertEqual(text(.reject(id: nil, conn: "c1", status: 403, reason: "")), #"{"type":"reject","conn":"c1","status":403}"#)
        XCTAssertEqual(
            text(.close(id: RequestID(string: "x"), conn: "c1", code: 1000, reason: "done")),
            #"{"type":"close","id":"x","conn":"c1","code":1000,"reason":"done"}"#
        )
        XCTAssertEqual(
            text(.register(id: nil, session: "s", user: "42")),
            #"{"type":"register","session":"s","user":"42"}"#,
            "user ids are written as strings"
        )
    }

    func testDataIsTextJSONOrBase64AsTheProtocolSpecifies() throws {
        XCTAssertEqual(
            text(.send(id: nil, conn: "c", data: .text(ByteBuffer(string: "a\"b")))),
            #"{"type":"send","conn":"c","data":"a\"b"}"#
        )
        XCTAssertEqual(
            text(.send(id: nil, conn: "c", data: .json(ByteBuffer(string: #"{"a": [1, 2]}"#)))),
            #"{"type":"send","conn":"c","data":{"a": [1, 2]}}"#,
            "raw JSON is written exactly as given, spaces included"
        )
        XCTAssertEqual(
            text(.publish(id: nil, target: .users(["a", "b"]), data: .binary(ByteBuffer(bytes: [0xFF, 0, 1])))),
            #"{"type":"publish","users":["a","b"],"data":"/wAB","binary":true}"#
        )
        let object = try decoded(.publish(id: nil, target: .all, data: .binary(ByteBuffer(bytes: [1, 2, 3, 4]))))
        XCTAssertEqual(object["all"] as? Bool, true)
        XCTAssertEqual((object["data"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init), [1, 2, 3, 4])
    }

    // MARK: Check

    private func checkError(_ data: AppData) -> AppProtocolError? {
        do {
            try AppRequestEncoder.check(.send(id: RequestID(3), conn: "c1", data: data))
            return nil
        } catch {
            return error
        }
    }

    func testJSONDataMustBeExactlyOneValue() {
        for good in ["1", "-0.5e3", "true", "null", #""s""#, "[]", #" {"a": {"b": [null]}} "#, "\n[1]\t"] {
            XCTAssertNil(checkError(.json(ByteBuffer(string: good))), good)
        }
        for bad in ["", " ", "{", "[1,]", "01", "1,2", #"1,"all":true"#, #"1},"x":{"#, "'s'", "NaN", "[1] [2]"] {
            let error = checkError(.json(ByteBuffer(string: bad)))
            XCTAssertEqual(error?.code, .invalidJSON, bad)
            XCTAssertEqual(error?.id, RequestID(3), bad)
        }
        XCTAssertEqual(checkError(.json(ByteBuffer(bytes: [0x22, 0xFF, 0x22])))?.code, .invalidUTF8)
    }

    func testJSONDataNestsAsDeepAsTheDaemonAllowsAndNoDeeper() {
        // The request object is depth 1, so `data` may nest 63 more levels.
        let deepest = String(repeating: "[", count: 63) + String(repeating: "]", count: 63)
        let tooDeep = "[" + deepest + "]"
        XCTAssertNil(checkError(.json(ByteBuffer(string: deepest))))
        XCTAssertEqual(checkError(.json(ByteBuffer(string: tooDeep)))?.code, .invalidJSON)
        let accepted = AppRequest.send(id: nil, conn: "c", data: .json(ByteBuffer(string: deepest)))
        XCTAssertEqual(AppRequestParser.parse(AppRequestEncoder.encode(accepted, allocator: allocator)), .success(accepted))
        let refused = AppRequest.send(id: nil, conn: "c", data: .json(ByteBuffer(string: tooDeep)))
        guard case .failure(let error) = AppRequestParser.parse(AppRequestEncoder.encode(refused, allocator: allocator)) else {
            return XCTFail("the daemon would take what the check refuses")
        }
        XCTAssertEqual(error.code, .invalidJSON)
    }

    func testTextDataMustBeUTF8AndBinaryMayBeAnything() {
        XCTAssertEqual(checkError(.text(ByteBuffer(bytes: [0x61, 0xC3])))?.code, .invalidUTF8)
        XCTAssertNil(checkError(.text(ByteBuffer(string: "é ✓ 🎉"))))
        XCTAssertNil(checkError(.binary(ByteBuffer(bytes: [0xC3, 0xFF]))))
        XCTAssertNoThrow(try AppRequestEncoder.check(.ping(id: nil)))
    }
}
