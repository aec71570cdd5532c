import XCTest

@testable import WSBridgeConfig

final class BooleanIntegerAndListValueTests: XCTestCase {
    func testEveryBooleanSpellingIsRead() throws {
        for text in ["true", "yes", "on", "TRUE", "Yes"] {
            XCTAssertTrue(try ConfigValue.boolean(text), text)
        }
        for text in ["false", "no", "off", "OFF"] {
            XCTAssertFalse(try ConfigValue.boolean(text), text)
        }
    }

    func testOtherBooleanSpellingsAreRejected() {
        for text in ["", "1", "0", "y", "enabled"] {
            XCTAssertEqual(
                valueError(ConfigValue.boolean, text),
                "expected true or false (or yes/no, on/off), got \(text.debugDescription)", text)
        }
    }

    func testIntegersAreDigitsOnly() throws {
        XCTAssertEqual(try ConfigValue.integer("100000"), 100_000)
        XCTAssertEqual(try ConfigValue.integer("0"), 0)
        for text in ["", "-1", "+1", "1_000", "1k", "ten", "99999999999999999999"] {
            XCTAssertEqual(
                valueError(ConfigValue.integer, text),
                "expected a whole number such as 100, got \(text.debugDescription)", text)
        }
    }

    func testListsAreSplitOnCommasAndTrimmed() throws {
        XCTAssertEqual(try ConfigValue.list("a"), ["a"])
        XCTAssertEqual(try ConfigValue.list("a,b"), ["a", "b"])
        XCTAssertEqual(try ConfigValue.list(" a ,\tb , c"), ["a", "b", "c"])
    }

    func testListsWithEmptyEntriesAreRejected() {
        for text in ["", "a,", ",a", "a,,b", "a, ,b"] {
            XCTAssertEqual(
                valueError(ConfigValue.list, text),
                "expected a comma-separated list without empty entries, got \(text.debugDescription)", text)
        }
    }

    func testAChoiceKeyListsTheAcceptedWords() {
        XCTAssertEqual(loaded("auth = insecure-query")?.auth, .insecureQuery)
        XCTAssertEqual(loaded("log_level = critical")?.logLevel, .critical)
        XCTAssertEqual(loaded("log_format = json")?.logFormat, .json)
        assertSingleError("auth = token", "test.conf:1: auth: expected one of app, jwt, insecure-query, got \"token\"")
        assertSingleError(
            "log_level = INFO",
            "test.conf:1: log_level: expected one of trace, debug, info, notice, warning, error, critical, got \"INFO\"")
        assertSingleError("log_format = text", "test.conf:1: log_format: expected one of logfmt, json, got \"text\"")
    }

    func testConnectionAndEventLoopCountsAreRangeChecked() {
        XCTAssertEqual(loaded("max_connections = 1")?.maxConnections, 1)
        XCTAssertEqual(loaded("event_loops = 256")?.eventLoops, 256)
        assertSingleError("max_connections = 0", "test.conf:1: max_connections: must be at least 1, got \"0\"")
        assertSingleError(
            "event_loops = 257", "test.conf:1: event_loops: must be from 0 (one per CPU) to 256, got \"257\"")
        assertSingleError(
            "event_loops = many", "test.conf:1: event_loops: expected a whole number such as 100, got \"many\"")
    }

    func testTheEventStreamPathIsAPathOrOff() {
        XCTAssertEqual(WSBridgeConfiguration().ssePath, "/sse")
        XCTAssertEqual(loaded("sse_path = /events")?.ssePath, "/events")
        XCTAssertNil(loaded("sse_path = off")?.ssePath)
        XCTAssertNil(loaded("sse_path =")?.ssePath)
        assertSingleError(
            "sse_path = events", "test.conf:1: sse_path: expected a URL path starting with / (no spaces, ? or #), or off, got \"events\"")
        assertSingleError(
            "sse_path = /healthz",
            "test.conf:1: sse_path: expected a path other than /healthz (the listener's health check), got \"/healthz\"")
        assertSingleError("ws_path = /push\nsse_path = /push", "test.conf:2: sse_path: must differ from ws_path (/push), or be off")
        XCTAssertNil(loaded("ws_path = /sse\nsse_path = off")?.ssePath, "a WebSocket path may take the default's place")
    }

    func testStringKeysAreChecked() {
        XCTAssertEqual(loaded("ws_path = /socket/v1")?.wsPath, "/socket/v1")
        XCTAssertEqual(loaded("channel = push")?.channel, "push")
        XCTAssertEqual(loaded("compat_user_field = userId")?.compatUserField, "userId")
        XCTAssertNil(loaded("compat_user_field =")?.compatUserField)
        XCTAssertEqual(loaded("node_id = web-1")?.nodeID, "web-1")
        XCTAssertEqual(loaded("node_id =")?.nodeID, WSBridgeConfiguration().nodeID)
        XCTAssertEqual(loaded("app_socket = /run/wsbridge/app.sock")?.appSocket, "/run/wsbridge/app.sock")
        assertSingleError(
            "ws_path = ws", "test.conf:1: ws_path: expected a URL path starting with / (no spaces, ? or #), got \"ws\"")
        assertSingleError("channel =", "test.conf:1: channel: expected a channel name, got an empty value")
        assertSingleError(
            "node_id = \"web 1\"", "test.conf:1: node_id: a node id is printable ASCII without spaces, got \"web 1\"")
        assertSingleError(
            "node_id = \(String(repeating: "n", count: 65))", "test.conf:1: node_id: a node id is at most 64 bytes, got 65")
        assertSingleError("app_socket =", "test.conf:1: app_socket: expected a socket path, got an empty value")
        assertSingleError(
            "app_socket = /\(String(repeating: "s", count: 107))",
            "test.conf:1: app_socket: socket path is 108 bytes long; Unix socket paths are limited to 107 bytes")
    }
}
