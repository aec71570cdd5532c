import Foundation
import NIOCore
import WSBridgeJSON
import XCTest

final class JSONTextTests: XCTestCase {
    private func quoted(_ bytes: [UInt8]) -> String {
        var buffer = ByteBuffer()
        let written = bytes.withUnsafeBytes { JSONText.writeQuoted($0, into: &buffer) }
        XCTAssertEqual(written, buffer.readableBytes)
        return String(buffer: buffer)
    }

    private func quoted(_ text: String) -> String {
        quoted(Array(text.utf8))
    }

    /// What Foundation reads back from `json` (a JSON string literal).
    private func foundationString(_ json: String) throws -> String? {
        try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed) as? String
    }

    func testPlainTextIsCopiedBetweenQuotes() {
        XCTAssertEqual(quoted(""), #""""#)
        XCTAssertEqual(quoted("hello"), #""hello""#)
        XCTAssertEqual(quoted("a longer plain ASCII run of text / with a slash"), #""a longer plain ASCII run of text / with a slash""#)
    }

    func testQuotesBackslashesAndControlCharactersAreEscaped() {
        XCTAssertEqual(quoted("\"\\\n\r\t\u{8}\u{C}"), #""\"\\\n\r\t\b\f""#)
        XCTAssertEqual(quoted("\u{0}\u{1}\u{1F} \u{7F}"), "\"\\u0000\\u0001\\u001f \u{7F}\"")
    }

    func testEscapesAreFoundInsideAndAfterLongPlainRuns() {
        let text = "0123456789abcdef\"0123456789abcdef\n01234567"
        XCTAssertEqual(quoted(text), #""0123456789abcdef\"0123456789abcdef\n01234567""#)
    }

    func testNonASCIIUTF8IsCopiedAsItStands() {
        XCTAssertEqual(quoted("é ✓ 🎉 日本"), "\"é ✓ 🎉 日本\"")
    }

    func testEveryByteValueRoundTripsThroughFoundation() throws {
        var text = String((0..<128).map { Character(Unicode.Scalar(UInt8($0))) })
        text += "é\u{FFFF}\u{10FFFF}🎉"
        XCTAssertEqual(try foundationString(quoted(text)), text)
    }

    func testInvalidUTF8BecomesReplacementCharacters() throws {
        let cases: [([UInt8], String)] = [
            ([0xFF], "\u{FFFD}"),
            ([0x61, 0xC0, 0x80, 0x62], "a\u{FFFD}\u{FFFD}b"),  // overlong: each byte replaced
            ([0xED, 0xA0, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}"),  // encoded surrogate
            ([0xE2, 0x82], "\u{FFFD}\u{FFFD}"),  // truncated at the end
            ([0xC3, 0xA9, 0x80], "é\u{FFFD}"),  // stray continuation byte
        ]
        for (bytes, expected) in cases {
            let json = quoted(bytes)
            XCTAssertEqual(try foundationString(json), expected, "\(bytes)")
        }
    }

    func testTheStringAndBufferOverloadsAgreeWithTheBytesOne() {
        let text = "line\nwith \"quotes\" and é"
        var fromString = ByteBuffer()
        JSONText.writeQuoted(text, into: &fromString)
        var fromBuffer = ByteBuffer()
        JSONText.writeQuoted(ByteBuffer(string: text), into: &fromBuffer)
        XCTAssertEqual(String(buffer: fromString), quoted(text))
        XCTAssertEqual(fromBuffer, fromString)
        XCTAssertEqual(String(buffer: fromString), JSONText.quoted(text))
    }

    func testWritingAppendsAfterWhatTheBufferHolds() {
        var buffer = ByteBuffer(string: "{\"k\":")
        JSONText.writeQuoted("v", into: &buffer)
        XCTAssertEqual(String(buffer: buffer), #"{"k":"v""#)
    }

    func testEscapingAllControlsAlsoEscapesDELTheC1ControlsAndTheLineSeparators() {
        let text = "a\u{7F}b\u{85}c\u{9F}d\u{2028}e\u{2029}f\u{1B}g\u{A0}é"
        XCTAssertEqual(JSONText.quoted(text, escapingAllControls: true), #""a\u007fb\u0085c\u009fd\u2028e\u2029f\u001bg\#u{A0}é""#)
        XCTAssertEqual(JSONText.quoted(text), "\"a\u{7F}b\u{85}c\u{9F}d\u{2028}e\u{2029}f\\u001bg\u{A0}é\"", "by default JSON's own rule")
    }

    // MARK: Base64.write

    func testBase64WriteMatchesEncodeForEveryLength() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            var buffer = ByteBuffer(string: ">")
            let written = bytes.withUnsafeBytes { Base64.write($0, into: &buffer) }
            XCTAssertEqual(written, (length + 2) / 3 * 4)
            XCTAssertEqual(String(buffer: buffer), ">" + Base64.encode(bytes), "length \(length)")
            XCTAssertEqual(Base64.encode(bytes), Data(bytes).base64EncodedString(), "length \(length)")
        }
    }

    func testBase64WriteOfABufferRoundTripsThroughDecode() throws {
        let bytes = ByteBuffer(bytes: [0, 0xFF, 0x10, 0x80, 0x7F])
        var text = ByteBuffer()
        Base64.write(bytes, into: &text)
        XCTAssertEqual(String(buffer: text), "AP8QgH8=")
        XCTAssertEqual(text.withUnsafeReadableBytes { Base64.decode($0) }, bytes)
    }
}
