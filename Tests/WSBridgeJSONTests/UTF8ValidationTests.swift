import XCTest
import WSBridgeJSON

final class UTF8ValidationTests: XCTestCase {
    func testValidTextPasses() {
        for text in ["", "hello", "κόσμε", "日本語", "🎉 emoji", "\u{10FFFF}"] {
            XCTAssertTrue(UTF8Validation.isValid(Array(text.utf8)), text)
        }
    }

    func testInvalidSequencesFail() {
        let cases: [[UInt8]] = [
            [0x80],  // lone continuation
            [0xC3, 0x28],  // bad continuation
            [0xC0, 0xAF],  // overlong "/"
            [0xE0, 0x80, 0xAF],  // overlong
            [0xED, 0xA0, 0x80],  // UTF-16 surrogate
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xF8, 0x88, 0x80, 0x80, 0x80],  // 5-byte form
            [0xE6, 0x97],  // truncated
        ]
        for bytes in cases {
            XCTAssertFalse(UTF8Validation.isValid(bytes), "\(bytes)")
        }
    }
}
