import Foundation
import WSBridgeJSON
import XCTest

/// `trimmingWhitespace()` stands in for Foundation's `trimmingCharacters(in: .whitespaces)` in the
/// daemon (which links no Foundation): the two must agree.
final class WhitespaceTrimmingTests: XCTestCase {
    func testEveryScalarIsTrimmedExactlyWhenFoundationTrimsIt() {
        var disagreements: [String] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = "\(scalar)x\(scalar)"
            if text.trimmingWhitespace() != text.trimmingCharacters(in: .whitespaces) {
                disagreements.append(String(value, radix: 16))
            }
        }
        XCTAssertEqual(disagreements, [])
    }

    func testTextsTrimAsFoundationTrimsThem() {
        let texts = [
            "", " ", "\t \u{A0}\u{3000}", "  13 ", "\tdGhlIHNhbXBsZSBub25jZQ==\t", "a b", " \u{301}x ", "x\u{200B}",
            "\u{2003}203.0.113.7\u{202F}", "\n x \n", " é ",
        ]
        for text in texts {
            XCTAssertEqual(text.trimmingWhitespace(), text.trimmingCharacters(in: .whitespaces), "\(Array(text.unicodeScalars))")
            XCTAssertEqual(text[...].trimmingWhitespace(), text.trimmingCharacters(in: .whitespaces))
        }
    }
}
