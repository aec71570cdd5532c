import XCTest

@testable import WSBridgeConfig

final class ConfigFileSyntaxTests: XCTestCase {
    private func entries(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [ConfigEntry] {
        do {
            return try ConfigLoader.parse(text: text, source: testSource)
        } catch {
            XCTFail("unexpected error: \(error)", file: file, line: line)
            return []
        }
    }

    private func parseError(_ text: String) -> String? {
        do {
            _ = try ConfigLoader.parse(text: text, source: testSource)
            return nil
        } catch {
            return error.description
        }
    }

    func testEachLineIsAKeyAndAValueWithItsLineNumber() {
        XCTAssertEqual(
            entries("listen = 0.0.0.0:8080\n\nchannel=push\n  ws_path   =   /ws  \n"),
            [
                ConfigEntry(key: "listen", value: "0.0.0.0:8080", line: 1),
                ConfigEntry(key: "channel", value: "push", line: 3),
                ConfigEntry(key: "ws_path", value: "/ws", line: 4),
            ])
    }

    func testCommentsAndBlankLinesAreSkipped() {
        XCTAssertEqual(
            entries("# a comment\n   # indented comment\n\n\t\nchannel = push # trailing comment\n"),
            [ConfigEntry(key: "channel", value: "push", line: 5)])
    }

    func testAHashInsideABareValueIsKept() {
        XCTAssertEqual(entries("channel = topic#1")[0].value, "topic#1")
        XCTAssertEqual(entries("channel = topic\t#comment")[0].value, "topic")
        XCTAssertEqual(entries("compat_user_field = # nothing")[0].value, "")
    }

    func testAnEmptyValueIsAllowed() {
        XCTAssertEqual(entries("redis =")[0].value, "")
        XCTAssertEqual(entries("redis = \"\"")[0].value, "")
    }

    func testQuotedValuesKeepHashesSpacesAndEscapes() {
        XCTAssertEqual(entries(#"jwt_secret = "a # b""#)[0].value, "a # b")
        XCTAssertEqual(entries(#"channel = "  padded  "  # comment"#)[0].value, "  padded  ")
        XCTAssertEqual(entries(#"channel = "say \"hi\" \\ bye""#)[0].value, #"say "hi" \ bye"#)
        XCTAssertEqual(entries(#"channel = "a = b""#)[0].value, "a = b")
    }

    func testAValueMayContainEqualsSigns() {
        XCTAssertEqual(entries("redis = unix:///r.sock?db=1")[0].value, "unix:///r.sock?db=1")
    }

    func testWindowsLineEndingsAndAByteOrderMarkAreTolerated() {
        XCTAssertEqual(
            entries("\u{FEFF}channel = a\r\nws_path = /b\r\n"),
            [ConfigEntry(key: "channel", value: "a", line: 1), ConfigEntry(key: "ws_path", value: "/b", line: 2)])
    }

    func testALineWithoutEqualsIsASyntaxErrorOnItsLine() {
        XCTAssertEqual(
            parseError("channel = a\n\nlisten 0.0.0.0:80\n"),
            "test.conf:3: expected \"key = value\", but this line has no \"=\"")
    }

    func testAMissingKeyIsASyntaxError() {
        XCTAssertEqual(
            parseError("# c\n = value"), "test.conf:2: expected \"key = value\", but the key before \"=\" is missing")
    }

    func testAnUnterminatedQuoteIsASyntaxError() {
        XCTAssertEqual(
            parseError("channel = a\njwt_secret = \"abc\n"),
            "test.conf:2: jwt_secret: unterminated quoted value: the closing \" is missing")
    }

    func testTextAfterAClosingQuoteIsASyntaxError() {
        XCTAssertEqual(
            parseError(#"channel = "a" b"#),
            "test.conf:1: channel: unexpected text after the closing quote; put a comment after \" #\"")
    }

    func testOnlyQuoteAndBackslashCanBeEscaped() {
        XCTAssertEqual(
            parseError(#"channel = "a\nb""#),
            #"test.conf:1: channel: unsupported escape "\n" in a quoted value; only \" and \\ are escapes"#)
    }

    func testAKeyGivenTwiceNamesBothLines() {
        XCTAssertEqual(
            parseError("listen = 127.0.0.1:1\nchannel = x\nlisten = 127.0.0.1:2\n"),
            "test.conf:3: listen: given twice, first on line 1")
    }

    func testAnUnknownKeySuggestsTheNearestKnownKey() {
        assertSingleError(
            "channel = a\n\n\n\n\n\nlisen = 0.0.0.0:80", #"test.conf:7: unknown key "lisen" (did you mean "listen"?)"#)
        assertSingleError("max-queue-bytes = 1MiB", #"test.conf:1: unknown key "max-queue-bytes" (did you mean "max_queue_bytes"?)"#)
    }

    func testASentinelKeyIsRefusedWithWhatToUseInstead() {
        assertSingleError(
            "redis_sentinel = redis://127.0.0.1:26379",
            #"test.conf:1: unknown key "redis_sentinel": Redis Sentinel is not supported: set redis to the primary, or use redis_cluster (docs/scaling.md, "Why a cluster, and not Sentinel")"#)
    }

    func testAnUnknownKeyFarFromEveryKnownKeyGetsNoSuggestion() {
        assertSingleError("colour = blue", #"test.conf:1: unknown key "colour""#)
    }
}
