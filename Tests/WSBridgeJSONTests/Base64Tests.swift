import Foundation
import WSBridgeJSON
import XCTest

/// Both variants of the one base64 codec: `.url` (JWS: unpadded, canonical only) and `.standard`
/// (JSON payloads: padded, decoded leniently).
final class Base64Tests: XCTestCase {
    /// RFC 4648 §10 test vectors, without padding.
    private let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"),
        ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ]

    func testEncodingMatchesTheRFC4648VectorsWithoutPadding() {
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8), variant: .url), encoded)
        }
    }

    func testDecodingMatchesTheRFC4648Vectors() {
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.decode(encoded.utf8, variant: .url), Array(plain.utf8))
        }
    }

    func testTheURLSafeAlphabetIsUsedBothWays() {
        XCTAssertEqual(Base64.encode([0xFB, 0xFF, 0xBF], variant: .url), "-_-_")
        XCTAssertEqual(Base64.decode("-_-_".utf8, variant: .url), [0xFB, 0xFF, 0xBF])
        XCTAssertEqual(Base64.encode(Data([0xFF]), variant: .url), "_w")
    }

    func testEveryLengthAndByteValueRoundTrips() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            XCTAssertEqual(Base64.decode(Base64.encode(bytes, variant: .url).utf8, variant: .url), bytes, "length \(length)")
        }
        let all = Array(UInt8.min ... UInt8.max)
        XCTAssertEqual(Base64.decode(Base64.encode(all, variant: .url).utf8, variant: .url), all)
    }

    func testDecodingAgreesWithFoundationOnCanonicalText() throws {
        let bytes = Array("any carnal pleasure, with ÿ and \u{0} bytes".utf8)
        let standard = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        XCTAssertEqual(Base64.decode(standard.utf8, variant: .url), bytes)
        XCTAssertEqual(Base64.encode(bytes, variant: .url), standard)
    }

    func testPaddingIsRefused() {
        XCTAssertNil(Base64.decode("Zg==".utf8, variant: .url))
        XCTAssertNil(Base64.decode("Zm8=".utf8, variant: .url))
        XCTAssertNil(Base64.decode("====".utf8, variant: .url))
    }

    func testStandardBase64CharactersAreRefused() {
        XCTAssertNil(Base64.decode("+/+/".utf8, variant: .url))
        XCTAssertNil(Base64.decode("ab+c".utf8, variant: .url))
        XCTAssertNil(Base64.decode("ab/c".utf8, variant: .url))
    }

    func testWhitespaceAndNonASCIIAreRefused() {
        XCTAssertNil(Base64.decode("Zm9v ".utf8, variant: .url))
        XCTAssertNil(Base64.decode("Zm\n9v".utf8, variant: .url))
        XCTAssertNil(Base64.decode("Zm9é".utf8, variant: .url))
    }

    func testALengthLeavingOneDanglingCharacterIsRefused() {
        XCTAssertNil(Base64.decode("Z".utf8, variant: .url))
        XCTAssertNil(Base64.decode("Zm9vY".utf8, variant: .url))
    }

    func testNonZeroUnusedTrailingBitsAreRefused() {
        XCTAssertEqual(Base64.decode("Zg".utf8, variant: .url), [0x66])
        XCTAssertNil(Base64.decode("Zh".utf8, variant: .url))
        XCTAssertEqual(Base64.decode("Zm8".utf8, variant: .url), [0x66, 0x6F])
        XCTAssertNil(Base64.decode("Zm9".utf8, variant: .url))
    }

    func testDecodingASubstringUsesOnlyItsCharacters() {
        let text = "xxZm9vxx"
        let start = text.index(text.startIndex, offsetBy: 2)
        let end = text.index(start, offsetBy: 4)
        XCTAssertEqual(Base64.decode(text[start..<end].utf8, variant: .url), Array("foo".utf8))
    }

    // MARK: The standard variant

    func testTheStandardVariantEncodesWithPaddingAndDecodesWithOrWithout() {
        for (plain, encoded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg==")] {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(Base64.decode(encoded.utf8, variant: .standard), Array(plain.utf8))
            XCTAssertEqual(Base64.decode(encoded.replacingOccurrences(of: "=", with: "").utf8, variant: .standard), Array(plain.utf8))
        }
        XCTAssertEqual(Base64.encode([0xFB, 0xFF, 0xBF]), "+/+/")
        XCTAssertEqual(Base64.decode("+/+/".utf8, variant: .standard), [0xFB, 0xFF, 0xBF])
    }

    func testTheStandardVariantIgnoresUnusedBitsButRefusesWhatIsNotBase64() {
        XCTAssertEqual(Base64.decode("Zh".utf8, variant: .standard), [0x66], "leftover bits are ignored")
        for text in ["-_-_", "Zg=", "Z===", "Zg===", "Z", "Zm9v ", "Zg==Zg=="] {
            XCTAssertNil(Base64.decode(text.utf8, variant: .standard), text)
        }
    }

    func testEncodedCountsMatchWhatIsWritten() {
        for length in 0..<10 {
            let bytes = [UInt8](repeating: 0xA5, count: length)
            XCTAssertEqual(Base64.encode(bytes).utf8.count, Base64.encodedCount(length), "length \(length)")
            XCTAssertEqual(Base64.encode(bytes, variant: .url).utf8.count, Base64.encodedCount(length, variant: .url), "length \(length)")
        }
    }
}
