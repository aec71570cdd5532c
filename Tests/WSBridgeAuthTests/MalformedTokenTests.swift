import Foundation
import WSBridgeAuth
import XCTest

final class MalformedTokenTests: XCTestCase {
    private var verifier: JWTVerifier {
        get throws { try TestKeys.hs256Verifier() }
    }

    /// The valid token every mutation below starts from.
    private let token = TokenFactory.hs256()

    private var parts: [String] {
        token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    func testTheUnmutatedTokenIsAccepted() throws {
        assertAccepted(try verifier.verifyNow(token), user: "alice")
        XCTAssertEqual(parts.count, 3)
    }

    func testATokenWithTwoPartsIsMalformed() throws {
        assertRefused(try verifier.verifyNow("\(parts[0]).\(parts[1])"), .malformed)
    }

    func testATokenWithFourPartsIsMalformed() throws {
        assertRefused(try verifier.verifyNow(token + "." + parts[2]), .malformed)
        assertRefused(try verifier.verifyNow(token + "."), .malformed)
    }

    func testAnEmptyOrDotsOnlyTokenIsMalformed() throws {
        assertRefused(try verifier.verifyNow(""), .malformed)
        assertRefused(try verifier.verifyNow(".."), .malformed)
        assertRefused(try verifier.verifyNow("no-dots-at-all"), .malformed)
    }

    func testNonBase64URLCharactersAreMalformed() throws {
        // Standard base64's '+' and '/' in place of '-' and '_', a space, a non-ASCII letter.
        for (index, bad) in [(0, "+"), (1, "/"), (2, " "), (1, "é")] {
            var mutated = parts
            mutated[index] = String(mutated[index].dropLast()) + bad
            assertRefused(try verifier.verifyNow(mutated.joined(separator: ".")), .malformed)
        }
    }

    func testPaddingIsMalformed() throws {
        // "e30" is "{}"; "e30=" is the same with padding.
        let padded = TokenFactory.hs256(payload: "{}").replacingOccurrences(of: ".e30.", with: ".e30=.")
        XCTAssertTrue(padded.contains(".e30=."))
        assertRefused(try verifier.verifyNow(padded), .malformed)
        assertRefused(try verifier.verifyNow(token + "="), .malformed)
    }

    func testASegmentWithAnImpossibleLengthIsMalformed() throws {
        // 43 signature characters hold 32 bytes; 45 (4n + 1) cannot be base64 at all.
        XCTAssertEqual(parts[2].count, 43)
        assertRefused(try verifier.verifyNow(token + "AA"), .malformed)
    }

    func testNonZeroTrailingBitsAreMalformed() throws {
        // The 43rd signature character carries 2 unused low bits; setting one gives a second
        // spelling of the same MAC, which strict decoding refuses.
        let signature = parts[2]
        let last = try XCTUnwrap(signature.last)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let value = try XCTUnwrap(alphabet.firstIndex(of: last))
        XCTAssertEqual(value & 0x3, 0)
        let sibling = alphabet[value | 0x1]
        assertRefused(try verifier.verifyNow("\(parts[0]).\(parts[1]).\(signature.dropLast())\(sibling)"), .malformed)
    }

    func testAHeaderThatIsNotJSONIsMalformed() throws {
        assertRefused(try verifier.verifyNow(TokenFactory.hs256(header: "not json")), .malformed)
        assertRefused(try verifier.verifyNow(TokenFactory.hs256(header: "")), .malformed)
    }

    func testAHeaderThatIsNotAnObjectIsMalformed() throws {
        assertRefused(try verifier.verifyNow(TokenFactory.hs256(header: #"["HS256"]"#)), .malformed)
        assertRefused(try verifier.verifyNow(TokenFactory.hs256(header: #""HS256""#)), .malformed)
    }

    func testAHeaderWithoutAStringAlgIsMalformed() throws {
        assertRefused(try verifier.verifyNow(TokenFactory.hs256(header: #"{"typ":"JWT"}"#)), .malformed)
        assertRefused(try verifier.verifyNow(TokenFactory.hs256(header: #"{"alg":256}"#)), .malformed)
        assertRefused(try verifier.verifyNow(TokenFactory.hs256(header: #"{"alg":null}"#)), .malformed)
    }

    func testAPayloadThatIsAnArrayIsMalformed() throws {
        assertRefused(try verifier.verifyNow(TokenFactory.hs256(payload: #"[{"sub":"alice"}]"#)), .malformed)
    }

    func testAPayloadThatIsNotJSONIsMalformed() throws {
        assertRefused(try verifier.verifyNow(TokenFactory.hs256(payload: "sub=alice")), .malformed)
        assertRefused(try verifier.verifyNow(TokenFactory.hs256(payload: "")), .malformed)
    }

    func testATypOtherThanJWTIsMalformed() throws {
        for typ in [#""JWS""#, #""at+jwt""#, #""JW""#, #""JWTX""#, "42"] {
            let header = #"{"alg":"HS256","typ":\#(typ)}"#
            assertRefused(try verifier.verifyNow(TokenFactory.hs256(header: header)), .malformed)
        }
    }

    func testATypOfJWTInAnyCaseIsAccepted() throws {
        for typ in ["JWT", "jwt", "Jwt"] {
            let header = #"{"alg":"HS256","typ":"\#(typ)"}"#
            assertAccepted(try verifier.verifyNow(TokenFactory.hs256(header: header)), user: "alice")
        }
    }

    func testACritHeaderIsMalformed() throws {
        let header = #"{"alg":"HS256","crit":["exp"],"exp":1}"#
        assertRefused(try verifier.verifyNow(TokenFactory.hs256(header: header)), .malformed)
    }

    func testATokenLongerThan8KiBIsMalformedAndOneAtTheLimitIsNot() throws {
        var padding = 6000
        var longest = ""
        while true {
            let payload = #"{"sub":"alice","pad":"\#(String(repeating: "x", count: padding))"}"#
            let candidate = TokenFactory.hs256(payload: payload)
            if candidate.utf8.count > JWTVerifier.maximumTokenLength {
                XCTAssertGreaterThan(longest.utf8.count, JWTVerifier.maximumTokenLength - 4)
                assertAccepted(try verifier.verifyNow(longest), user: "alice")
                assertRefused(try verifier.verifyNow(candidate), .malformed)
                break
            }
            longest = candidate
            padding += 1
        }
        XCTAssertEqual(JWTVerifier.maximumTokenLength, 8192)
    }

    func testAHugeValidlySignedTokenIsRefusedForItsLength() throws {
        let payload = #"{"sub":"alice","pad":"\#(String(repeating: "x", count: 1 << 20))"}"#
        guard case .failure(let error) = try verifier.verifyNow(TokenFactory.hs256(payload: payload)) else {
            return XCTFail("a 1 MiB token was accepted")
        }
        XCTAssertEqual(error.code, .malformed)
        XCTAssertTrue(error.message.contains("longer than 8192 bytes"), error.message)
    }
}
