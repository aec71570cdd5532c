import NIOCore
import WSBridgeProtocol
import XCTest

/// Events that parse: every one the encoder writes, and the tolerance the protocol asks for.
final class AppEventParserTests: XCTestCase {
    private let allocator = ByteBufferAllocator()

    private func parsedEvent(_ json: String, file: StaticString = #filePath, line: UInt = #line) throws -> AppEvent {
        switch AppEventParser.parse(ByteBuffer(string: json)) {
        case .success(let event):
            return event
        case .failure(let error):
            XCTFail("\(json) was refused: \(error)", file: file, line: line)
            throw error
        }
    }

    /// Every event case, with every optional member present and absent, and payloads that need escaping.
    /// Header names are lower-case and unique, as the encoder writes them.
    static let everyEvent: [AppEvent] = [
        .welcome(id: RequestID(1), node: "web-1", version: "0.1.0", limits: AppLimits()),
        .welcome(id: nil, node: "n \"1\"", version: "v", limits: AppLimits(maxFrameBytes: 1, maxQueueBytes: 2, connectTimeoutMilliseconds: 3)),
        .connect(
            conn: "c1", path: "/ws", query: "room=42&x=%20",
            headers: [(name: "host", value: "example.com"), (name: "x-forwarded-for", value: "10.0.0.1, 10.0.0.2")],
            remote: "203.0.113.9:50412", user: nil
        ),
        .connect(conn: "c2", path: "/", query: "", headers: [], remote: "[::1]:1", user: "alice"),
        .message(conn: "c1", user: "alice", payload: ByteBuffer(string: "hi \"all\"\n\u{0}é 🎉"), isBinary: false),
        .message(conn: "c1", user: "42", payload: ByteBuffer(string: "plain"), isBinary: false),
        .message(conn: "c1", user: "alice", payload: ByteBuffer(bytes: [0, 1, 0xFE, 0xFF]), isBinary: true),
        .message(conn: "c1", user: "alice", payload: ByteBuffer(), isBinary: false),
        .closed(conn: "c1", user: "alice", code: 1001, reason: "going away"),
        .closed(conn: "c1", user: "alice", code: nil, reason: ""),
        .deliver(session: "s-9", user: "A", payload: ByteBuffer(string: #"{"n":1}"#), isBinary: false),
        .deliver(session: "s-9", user: "A", payload: ByteBuffer(bytes: [7]), isBinary: true),
        .ok(id: RequestID(7)),
        .ok(id: RequestID(json: #""a\u0062""#)),
        .ok(id: nil),
        .error(id: RequestID(4), code: .badField, message: #""code" must be 1000 or from 3000 to 4999, not 1001"#),
        .error(id: nil, code: .invalidJSON, message: "m"),
        .error(id: RequestID(5), code: AppProtocolError.Code(rawValue: "from_the_future"), message: ""),
        .pong(id: RequestID(string: "p")),
        .pong(id: nil),
        .shutdown(drainMilliseconds: 10_000),
        .status(id: RequestID(9), body: ByteBuffer(string: #"{"connections":3,"apps":[{"name":"chat","paths":["/ws"]}],"broker":{"ok":true}}"#)),
        .status(id: nil, body: ByteBuffer(string: "{}")),
        .presence(id: RequestID(10), users: [AppPresence(user: "alice", sessions: 3, hosts: 2), AppPresence(user: "b\"", sessions: 0, hosts: 0)]),
        .presence(id: nil, users: []),
        .presenceChanged(AppPresenceEvent(online: true, user: "alice")),
        .presenceChanged(AppPresenceEvent(online: false, user: "42")),
        .ok(
            id: RequestID(11), positions: "e-1,e-2",
            receipt: AppReceipt(
                sessions: 3, hosts: 2, unknownHosts: 1,
                users: [AppPresence(user: "alice", sessions: 3, hosts: 2), AppPresence(user: "bob", sessions: 0, hosts: 0)],
                offline: ["bob"])),
        .ok(id: RequestID(12), receipt: AppReceipt(sessions: 0, hosts: 0, unknownHosts: 0, users: [], offline: [])),
    ]

    // MARK: Round trip

    func testEveryEventTheEncoderWritesParsesBackToAnEqualValue() {
        for event in Self.everyEvent {
            let bytes = AppEventEncoder.encode(event, allocator: allocator)
            XCTAssertEqual(AppEventParser.parse(bytes), .success(event), String(buffer: bytes))
        }
        let types = Set(Self.everyEvent.map(\.type))
        XCTAssertEqual(
            types,
            ["welcome", "connect", "message", "closed", "deliver", "ok", "error", "pong", "shutdown", "status", "presence", "online", "offline"])
    }

    func testConnectHeadersComeBackAsTheEncoderNormalisedThem() throws {
        let sent = AppEvent.connect(
            conn: "c1", path: "/ws", query: "",
            headers: [(name: "Host", value: "h"), (name: "X-A", value: "1"), (name: "x-a", value: "2")],
            remote: "r", user: nil
        )
        let event = try parsedEvent(String(buffer: AppEventEncoder.encode(sent, allocator: allocator)))
        XCTAssertEqual(
            event,
            .connect(conn: "c1", path: "/ws", query: "", headers: [(name: "host", value: "h"), (name: "x-a", value: "1, 2")], remote: "r", user: nil)
        )
    }

    func testAnEmptyStatusBodyIsWrittenAsAnEmptyObject() throws {
        let event = AppEvent.status(id: RequestID(1), body: ByteBuffer())
        XCTAssertEqual(String(buffer: AppEventEncoder.encode(event, allocator: allocator)), #"{"type":"status","id":1,"status":{}}"#)
        XCTAssertEqual(try parsedEvent(#"{"type":"status","id":1,"status":{}}"#), .status(id: RequestID(1), body: ByteBuffer(string: "{}")))
    }

    // MARK: Tolerance

    func testUnknownMembersAreIgnoredAndOrderDoesNotMatter() throws {
        XCTAssertEqual(try parsedEvent(#"{"id":3,"future":{"x":[1,{"y":null}]},"type":"ok"}"#), .ok(id: RequestID(3)))
        XCTAssertEqual(
            try parsedEvent(#" {"user":"u","data":"AQI=","binary":true,"conn":"c","type":"message","seq":9} "#),
            .message(conn: "c", user: "u", payload: ByteBuffer(bytes: [1, 2]), isBinary: true)
        )
        XCTAssertEqual(
            try parsedEvent(#"{"type":"welcome","protocol":1,"node":"n","version":"v","limits":{"max_frame_bytes":1,"max_queue_bytes":2,"connect_timeout_ms":3,"max_users":9},"features":[]}"#),
            .welcome(id: nil, node: "n", version: "v", limits: AppLimits(maxFrameBytes: 1, maxQueueBytes: 2, connectTimeoutMilliseconds: 3))
        )
        XCTAssertEqual(
            try parsedEvent(#"{"type":"welcome","protocol":1,"node":"n","version":"v","limits":{"max_frame_bytes":1,"app_max_queue_bytes":5,"max_queue_bytes":2,"connect_timeout_ms":3}}"#),
            .welcome(id: nil, node: "n", version: "v", limits: AppLimits(maxFrameBytes: 1, maxQueueBytes: 5, connectTimeoutMilliseconds: 3)),
            "the config key's name wins where a daemon sends both"
        )
    }

    func testIntegerUserIdsAreTheirDecimalText() throws {
        XCTAssertEqual(
            try parsedEvent(#"{"type":"deliver","session":"s","user":42,"data":"x"}"#),
            .deliver(session: "s", user: "42", payload: ByteBuffer(string: "x"), isBinary: false)
        )
        XCTAssertEqual(
            try parsedEvent(#"{"type":"connect","conn":"c","path":"/","query":"","headers":{},"remote":"r","user":7}"#),
            .connect(conn: "c", path: "/", query: "", headers: [], remote: "r", user: "7")
        )
    }

    func testEscapedTextIsUnescapedAndNonStringDataIsItsRawText() throws {
        XCTAssertEqual(
            try parsedEvent(#"{"type":"message","conn":"c","user":"u","data":"\u0041\/\ud83c\udf89"}"#),
            .message(conn: "c", user: "u", payload: ByteBuffer(string: "A/🎉"), isBinary: false)
        )
        XCTAssertEqual(
            try parsedEvent(#"{"type":"message","conn":"c","user":"u","data":{"a": 1}}"#),
            .message(conn: "c", user: "u", payload: ByteBuffer(string: #"{"a": 1}"#), isBinary: false)
        )
    }

    func testAnErrorCodeThisSideDoesNotKnowIsKept() throws {
        guard case .error(_, let code, _) = try parsedEvent(#"{"type":"error","code":"rate_limited","message":"slow down"}"#) else {
            return XCTFail("not an error event")
        }
        XCTAssertEqual(code.rawValue, "rate_limited")
    }
}
