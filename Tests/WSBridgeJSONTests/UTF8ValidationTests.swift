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

final class UTF8StreamValidatorTests: XCTestCase {
    /// The standard library's verdict, an independent implementation.
    private func stdlibAccepts(_ bytes: [UInt8]) -> Bool { String(validating: bytes, as: UTF8.self) != nil }

    func testEveryOneTwoAndThreeByteSequenceIsJudgedAsTheStandardLibraryDoes() {
        for a in 0...255 {
            XCTAssertEqual(UTF8Validation.isValid([UInt8(a)]), stdlibAccepts([UInt8(a)]), "\(a)")
            for b in 0...255 {
                let two = [UInt8(a), UInt8(b)]
                XCTAssertEqual(UTF8Validation.isValid(two), stdlibAccepts(two), "\(two)")
            }
        }
        for a in 0xE0...0xF4 {
            for b in stride(from: 0x70, through: 0xC7, by: 1) {
                for c in [0x7F, 0x80, 0xBF, 0xC0] {
                    let three = [UInt8(a), UInt8(b), UInt8(c)]
                    XCTAssertEqual(UTF8Validation.isValid(three), stdlibAccepts(three), "\(three)")
                }
            }
        }
    }

    func testTheFirstImpossibleByteFailsWhereverTheCutsAre() {
        // "κόσμε" then F4 90: no character starting F4 may continue with 90 (above U+10FFFF).
        let bytes: [UInt8] = Array("κόσμε".utf8) + [0xF4, 0x90, 0x80, 0x80] + Array("edited".utf8)
        let bad = Array("κόσμε".utf8).count + 1
        for cut in 0...bytes.count {
            var validator = UTF8StreamValidator()
            let first = validator.feed(bytes[..<cut])
            XCTAssertEqual(first, cut <= bad, "fails in the piece that holds byte \(bad), not later (cut \(cut))")
        }
    }

    func testACharacterSplitAcrossPiecesIsAcceptedOnceComplete() {
        let bytes = Array("🎉".utf8)
        var validator = UTF8StreamValidator()
        for byte in bytes.dropLast() {
            XCTAssertTrue(validator.feed([byte]))
            XCTAssertFalse(validator.isComplete)
        }
        XCTAssertTrue(validator.feed([bytes.last!]))
        XCTAssertTrue(validator.isComplete)
    }
}
