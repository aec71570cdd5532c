import Foundation
import WSBridgeAuth
import XCTest

final class Base64URLTests: XCTestCase {
    /// RFC 4648 §10 test vectors, without padding.
    private let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"),
        ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ]

    func testEncodingMatchesTheRFC4648VectorsWithoutPadding() {
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64URL.encode(Array(plain.utf8)), encoded)
        }
    }

    func testDecodingMatchesTheRFC4648Vectors() {
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64URL.decode(encoded), Array(plain.utf8))
        }
    }

    func testTheURLSafeAlphabetIsUsedBothWays() {
        XCTAssertEqual(Base64URL.encode([0xFB, 0xFF, 0xBF]), "-_-_")
        XCTAssertEqual(Base64URL.decode("-_-_"), [0xFB, 0xFF, 0xBF])
        XCTAssertEqual(Base64URL.encode(Data([0xFF])), "_w")
    }

    func testEveryLengthAndByteValueRoundTrips() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            XCTAssertEqual(Base64URL.decode(Base64URL.encode(bytes)), bytes, "length \(length)")
        }
        let all = Array(UInt8.min ... UInt8.max)
        XCTAssertEqual(Base64URL.decode(Base64URL.encode(all)), all)
    }

    func testDecodingAgreesWithFoundationOnCanonicalText() throws {
        let bytes = Array("any carnal pleasure, with ÿ and \u{0} bytes".utf8)
        let standard = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        XCTAssertEqual(Base64URL.decode(standard), bytes)
        XCTAssertEqual(Base64URL.encode(bytes), standard)
    }

    func testPaddingIsRefused() {
        XCTAssertNil(Base64URL.decode("Zg=="))
        XCTAssertNil(Base64URL.decode("Zm8="))
        XCTAssertNil(Base64URL.decode("===="))
    }

    func testStandardBase64CharactersAreRefused() {
        XCTAssertNil(Base64URL.decode("+/+/"))
        XCTAssertNil(Base64URL.decode("ab+c"))
        XCTAssertNil(Base64URL.decode("ab/c"))
    }

    func testWhitespaceAndNonASCIIAreRefused() {
        XCTAssertNil(Base64URL.decode("Zm9v "))
        XCTAssertNil(Base64URL.decode("Zm\n9v"))
        XCTAssertNil(Base64URL.decode("Zm9é"))
    }

    func testALengthLeavingOneDanglingCharacterIsRefused() {
        XCTAssertNil(Base64URL.decode("Z"))
        XCTAssertNil(Base64URL.decode("Zm9vY"))
    }

    func testNonZeroUnusedTrailingBitsAreRefused() {
        XCTAssertEqual(Base64URL.decode("Zg"), [0x66])
        XCTAssertNil(Base64URL.decode("Zh"))
        XCTAssertEqual(Base64URL.decode("Zm8"), [0x66, 0x6F])
        XCTAssertNil(Base64URL.decode("Zm9"))
    }

    func testDecodingASubstringUsesOnlyItsCharacters() {
        let text = "xxZm9vxx"
        let start = text.index(text.startIndex, offsetBy: 2)
        let end = text.index(start, offsetBy: 4)
        XCTAssertEqual(Base64URL.decode(text[start..<end]), Array("foo".utf8))
    }
}
