import Foundation
import Logging
import NIOConcurrencyHelpers
import XCTest

@testable import WSBridgeDaemon

/// The log line formats (`log_format = logfmt | json`): one line per event, escaping, metadata keys.
final class LineLogFormatTests: XCTestCase {
    private let time = Date(timeIntervalSince1970: 1_700_000_000.25)

    private func logfmt(_ message: String, _ metadata: Logger.Metadata = [:], level: Logger.Level = .info) -> String {
        LineFormatter.format(format: .logfmt, time: self.time, level: level, message: message, metadata: metadata)
    }

    private func json(_ message: String, _ metadata: Logger.Metadata = [:]) throws -> [String: String] {
        let line = LineFormatter.format(format: .json, time: self.time, level: .warning, message: message, metadata: metadata)
        XCTAssertFalse(line.contains("\n"), line)
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try XCTUnwrap(object as? [String: String], line)
    }

    func testALogfmtLineStartsWithTimeLevelAndMessageThenSortedKeys() {
        let line = self.logfmt("listening", ["wsb.listener": "admin", "wsb.address": "127.0.0.1:9188"], level: .notice)
        XCTAssertEqual(
            line, "ts=2023-11-14T22:13:20.250Z level=notice msg=listening wsb.address=127.0.0.1:9188 wsb.listener=admin")
    }

    func testTheTimestampIsZeroPaddedAsPrintfWroteIt() {
        let early = Date(timeIntervalSince1970: 946_684_800 + 3 * 86_400 + 4 * 3_600 + 5 * 60 + 6 + 0.0625)
        let line = LineFormatter.format(format: .logfmt, time: early, level: .info, message: "m", metadata: [:])
        XCTAssertEqual(line, "ts=2000-01-04T04:05:06.062Z level=info msg=m")
        XCTAssertEqual(LineFormatter.padded(7, 3), "007")
        XCTAssertEqual(LineFormatter.padded(-5, 3), "-05")
        XCTAssertEqual(LineFormatter.padded(12345, 4), "12345")
    }

    func testLogfmtQuotesAndEscapesOnlyWhatNeedsIt() {
        XCTAssertEqual(LineFormatter.logfmtValue("plain-value_1.2:3/4"), "plain-value_1.2:3/4")
        XCTAssertEqual(LineFormatter.logfmtValue(""), #""""#)
        XCTAssertEqual(LineFormatter.logfmtValue("two words"), #""two words""#)
        XCTAssertEqual(LineFormatter.logfmtValue("a=b"), #""a=b""#)
        XCTAssertEqual(LineFormatter.logfmtValue(#"say "hi""#), #""say \"hi\"""#)
        XCTAssertEqual(LineFormatter.logfmtValue(#"C:\dir"#), #""C:\\dir""#)
        XCTAssertEqual(LineFormatter.logfmtValue("line1\nline2\r\tend"), #""line1\nline2\r\tend""#)
        XCTAssertEqual(LineFormatter.logfmtValue("esc\u{1B}[31m"), #""esc\u001b[31m""#)
        XCTAssertEqual(LineFormatter.logfmtValue("sep\u{2028}x"), #""sep\u2028x""#)
        XCTAssertEqual(LineFormatter.logfmtValue("héllo✓"), "héllo✓", "non-ASCII text stays as it is")
    }

    func testWhateverAValueHoldsALogfmtEventIsOneLine() {
        let hostile = "a\nb\rc\u{0}d\u{85}e\u{2028}f\u{2029}g\u{7F}"
        let line = self.logfmt(hostile, ["wsb.error": .string(hostile), "wsb.list": .array([.string("x\ny")])])
        XCTAssertEqual(line.split(whereSeparator: \.isNewline).count, 1, line)
        XCTAssertFalse(line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, line)
    }

    func testNumbersGivenAsNumbersAreJSONNumbersAndIdsStayStrings() throws {
        let line = LineFormatter.format(
            format: .json, time: Date(timeIntervalSince1970: 1_700_000_000), level: .info, message: "m",
            metadata: [
                "wsb.attempt": .stringConvertible(3), "wsb.ratio": .stringConvertible(0.5), "wsb.up": .stringConvertible(true),
                "wsb.user": "42", "wsb.nan": .stringConvertible(Double.nan),
            ])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["wsb.attempt"] as? Int, 3)
        XCTAssertEqual(object["wsb.ratio"] as? Double, 0.5)
        XCTAssertEqual(object["wsb.up"] as? Bool, true)
        XCTAssertEqual(object["wsb.user"] as? String, "42", "a string that looks like a number stays a string")
        XCTAssertEqual(object["wsb.nan"] as? String, "nan", "not a JSON number")
        XCTAssertTrue(line.contains(#""wsb.attempt":3,"#), line)
        let logfmt = LineFormatter.format(
            format: .logfmt, time: Date(timeIntervalSince1970: 1_700_000_000), level: .info, message: "m",
            metadata: ["wsb.attempt": .stringConvertible(3)])
        XCTAssertTrue(logfmt.hasSuffix(" wsb.attempt=3"), logfmt)
    }

    func testAJSONLineIsOneObjectWithEveryMetadataKey() throws {
        let object = try self.json(
            "invalid message on the channel",
            ["wsb.code": "invalid_json", "wsb.suppressed": "12", "wsb.bytes": "7"]
        )
        XCTAssertEqual(object["ts"], "2023-11-14T22:13:20.250Z")
        XCTAssertEqual(object["level"], "warning")
        XCTAssertEqual(object["msg"], "invalid message on the channel")
        XCTAssertEqual(object["wsb.code"], "invalid_json")
        XCTAssertEqual(object["wsb.suppressed"], "12")
        XCTAssertEqual(object["wsb.bytes"], "7")
        XCTAssertEqual(object.count, 6)
    }

    func testJSONEscapesWhatJSONRequires() throws {
        let hostile = "quote\" backslash\\ newline\n tab\t nul\u{0} esc\u{1B} sep\u{2028} é"
        let object = try self.json(hostile, ["wsb.detail": .string(hostile)])
        XCTAssertEqual(object["msg"], hostile, "the value survives the round trip")
        XCTAssertEqual(object["wsb.detail"], hostile)
        let line = LineFormatter.format(format: .json, time: self.time, level: .info, message: hostile, metadata: [:])
        XCTAssertTrue(line.contains(#"\u2028"#), line)
    }

    func testTheHandlerWritesOneLinePerEventWithMergedMetadata() {
        let lines = NIOLockedValueBox<[String]>([])
        let output = LineOutput { line in lines.withLockedValue { $0.append(line) } }
        let level = LogLevelControl(.info)
        var logger = Logger(label: "test") { _ in LineLogHandler(label: "test", level: level, format: .logfmt, output: output) }
        logger[metadataKey: "wsb.app"] = "chat"
        logger[metadataKey: "wsb.node"] = "n1"
        logger.info("app attached", metadata: ["wsb.node": "override", "wsb.paths": "/ws,/admin"])
        logger.debug("per-message detail is below the level")
        level.level = .debug
        logger.debug("now it shows")
        let written = lines.withLockedValue { $0 }
        XCTAssertEqual(written.count, 2)
        XCTAssertTrue(written[0].hasSuffix(#"msg="app attached" wsb.app=chat wsb.node=override wsb.paths=/ws,/admin"#), written[0])
        XCTAssertTrue(written[1].contains(#"level=debug msg="now it shows""#), written[1])
    }
}
