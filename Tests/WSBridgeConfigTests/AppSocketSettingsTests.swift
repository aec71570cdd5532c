import XCTest

@testable import WSBridgeConfig

final class AppSocketSettingsTests: XCTestCase {
    func testTheFrameSizeIsFromOneKibibyteToSixtyFourMebibytes() {
        XCTAssertEqual(loaded("max_frame_bytes = 1KiB")?.maxFrameBytes, 1024)
        XCTAssertEqual(loaded("max_frame_bytes = 64MiB")?.maxFrameBytes, 64 << 20)
        assertSingleError(
            "max_frame_bytes = 1023", "test.conf:1: max_frame_bytes: must be from 1KiB to 64MiB, got \"1023\"")
        assertSingleError(
            "max_frame_bytes = 65MiB", "test.conf:1: max_frame_bytes: must be from 1KiB to 64MiB, got \"65MiB\"")
        assertSingleError(
            "\nmax_frame_bytes = big", "test.conf:2: max_frame_bytes: expected a size such as 1MiB, got \"big\"")
    }

    func testTheAppQueueHoldsAtLeastSixtyFourKibibytes() {
        XCTAssertEqual(loaded("app_max_queue_bytes = 64KiB")?.appMaxQueueBytes, 64 << 10)
        XCTAssertEqual(loaded("app_max_queue_bytes = 1GiB")?.appMaxQueueBytes, 1 << 30)
        assertSingleError(
            "app_max_queue_bytes = 63KiB", "test.conf:1: app_max_queue_bytes: must be at least 64KiB, got \"63KiB\"")
        assertSingleError(
            "app_max_queue_bytes = -1", "test.conf:1: app_max_queue_bytes: expected a size such as 1MiB, got \"-1\"")
    }

    func testTheConnectTimeoutIsAPositiveDuration() {
        XCTAssertEqual(loaded("connect_timeout = 250ms")?.connectTimeout, .milliseconds(250))
        assertSingleError("connect_timeout = 0", "test.conf:1: connect_timeout: must be longer than 0, got \"0\"")
        assertSingleError(
            "connect_timeout = 5", "test.conf:1: connect_timeout: expected a duration such as 25s or 500ms, got \"5\"")
    }

    func testTheConnectTimeoutMustBeShorterThanTheHandshakeTimeout() {
        XCTAssertEqual(loaded("connect_timeout = 9999ms")?.connectTimeout, .milliseconds(9999))
        assertSingleError(
            "connect_timeout = 10s", "test.conf:1: connect_timeout: must be shorter than handshake_timeout (10s), got 10s")
        assertSingleError(
            "connect_timeout = 2s\nhandshake_timeout = 1s",
            "test.conf:1: connect_timeout: must be shorter than handshake_timeout (1s), got 2s")
        assertSingleError(
            "handshake_timeout = 1s", overrides: [(key: .connectTimeout, value: "1m")],
            "command line: --connect-timeout: must be shorter than handshake_timeout (1s), got 1m")
    }

    func testAShortHandshakeTimeoutBelowTheDefaultConnectTimeoutIsBlamedOnTheHandshakeTimeout() {
        assertSingleError(
            "handshake_timeout = 3s", "test.conf:1: handshake_timeout: must be longer than connect_timeout (5s), got 3s")
    }

    func testTheConnectTimeoutRuleAppliesOnlyToAppAuth() {
        XCTAssertEqual(loaded("auth = insecure-query\nconnect_timeout = 1m")?.connectTimeout, .seconds(60))
        assertSingleError(
            "auth = nope\nconnect_timeout = 1m", "test.conf:1: auth: expected one of app, jwt, insecure-query, got \"nope\"")
        assertSingleError(
            "connect_timeout = 1m\nhandshake_timeout = 0",
            "test.conf:2: handshake_timeout: must be longer than 0, got \"0\"")
    }

    func testTheSocketModeIsThreeOrFourOctalDigits() {
        XCTAssertEqual(loaded("app_socket_mode = 0660")?.appSocketMode, 0o660)
        XCTAssertEqual(loaded("app_socket_mode = 660")?.appSocketMode, 0o660)
        XCTAssertEqual(loaded("app_socket_mode = 0600")?.appSocketMode, 0o600)
        XCTAssertEqual(loaded("app_socket_mode = 0777")?.appSocketMode, 0o777)
        XCTAssertEqual(loaded("app_socket_mode = 000")?.appSocketMode, 0)
        for text in ["", "66", "06600", "0680", "0x1ff", "+660", "-660", "rw-rw----", "0 660", "６６０"] {
            XCTAssertEqual(
                valueError(ConfigValue.fileMode, text),
                "expected an octal file mode such as 0660, got \(text.debugDescription)", text)
        }
        assertSingleError(
            "app_socket_mode = 1777",
            "test.conf:1: app_socket_mode: must be at most 0777 (no setuid, setgid or sticky bit), got \"1777\"")
        assertSingleError(
            "\n\napp_socket_mode = 0690",
            "test.conf:3: app_socket_mode: expected an octal file mode such as 0660, got \"0690\"")
    }

    func testFileModesAreFormattedAsFourOctalDigits() {
        XCTAssertEqual(ConfigValue.format(fileMode: 0o660), "0660")
        XCTAssertEqual(ConfigValue.format(fileMode: 0o7), "0007")
        XCTAssertEqual(ConfigValue.format(fileMode: 0o777), "0777")
    }

    func testAllowedUIDsAreNumbersOrUserNames() {
        XCTAssertNil(loaded("app_allowed_uids =")?.appAllowedUIDs)
        XCTAssertEqual(loaded("app_allowed_uids = 1000")?.appAllowedUIDs, [1000])
        XCTAssertEqual(loaded("app_allowed_uids = root, 1000 ,33,1000")?.appAllowedUIDs, [0, 33, 1000])
        XCTAssertEqual(loaded("app_allowed_uids = 4294967295")?.appAllowedUIDs, [UInt32.max])
    }

    func testAnUnknownUserNameNamesTheKeyLineAndName() {
        assertSingleError(
            "channel = a\napp_allowed_uids = 1000, no-such-user-wsbridge",
            "test.conf:2: app_allowed_uids: unknown user \"no-such-user-wsbridge\"")
        assertSingleError(
            "", overrides: [(key: .appAllowedUIDs, value: "-1")],
            "command line: --app-allowed-uids: unknown user \"-1\"")
    }

    func testBadUIDListsAreRejected() {
        assertSingleError(
            "app_allowed_uids = 4294967296",
            "test.conf:1: app_allowed_uids: uid \"4294967296\" is out of range; uids are at most 4294967295")
        assertSingleError(
            "app_allowed_uids = 1000,,1001",
            "test.conf:1: app_allowed_uids: expected a comma-separated list without empty entries, got \"1000,,1001\"")
    }

    func testAUserNameIsLookedUpInTheUserDatabase() throws {
        XCTAssertEqual(try AppAllowedUIDs.uid(ofUser: "root"), 0)
        XCTAssertNil(try AppAllowedUIDs.uid(ofUser: "no-such-user-wsbridge"))
        XCTAssertNil(try AppAllowedUIDs.uid(ofUser: "root\0"))
    }
}
