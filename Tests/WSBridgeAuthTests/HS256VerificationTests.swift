import Foundation
import WSBridgeAuth
import XCTest

final class HS256VerificationTests: XCTestCase {
    func testAValidHS256TokenYieldsItsSubjectAndExpiry() throws {
        let verifier = try TestKeys.hs256Verifier()
        let identity = try verifier.verifyNow(TokenFactory.hs256()).get()
        XCTAssertEqual(identity, JWTIdentity(user: "alice", expiresAt: Date(timeIntervalSince1970: 1_700_000_600)))
    }

    func testATokenWithoutExpiryHasNoExpiresAt() throws {
        let verifier = try TestKeys.hs256Verifier()
        let identity = try verifier.verifyNow(TokenFactory.hs256(payload: #"{"sub":"bob"}"#)).get()
        XCTAssertEqual(identity, JWTIdentity(user: "bob", expiresAt: nil))
    }

    func testATokenIsVerifiedFromASubstringOfALargerString() throws {
        let verifier = try TestKeys.hs256Verifier()
        let token = TokenFactory.hs256()
        let query = "token=" + token + "&x=1"
        let start = query.index(query.startIndex, offsetBy: 6)
        let end = query.index(start, offsetBy: token.count)
        assertAccepted(verifier.verify(query[start..<end], now: TokenFactory.now), user: "alice")
    }

    func testATokenSignedWithAnotherSecretHasABadSignature() throws {
        let verifier = try TestKeys.hs256Verifier()
        let token = TokenFactory.hs256(secret: Array("a-different-secret-of-32-bytes!!".utf8))
        assertRefused(verifier.verifyNow(token), .badSignature)
    }

    func testATamperedPayloadHasABadSignature() throws {
        let verifier = try TestKeys.hs256Verifier()
        let token = TokenFactory.hs256()
        assertAccepted(verifier.verifyNow(token), user: "alice")

        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        XCTAssertEqual(parts.count, 3)
        let forgedPayload = TokenFactory.segment(#"{"sub":"admin","exp":1700000600}"#)
        let tampered = "\(parts[0]).\(forgedPayload).\(parts[2])"
        assertRefused(verifier.verifyNow(tampered), .badSignature)
    }

    func testATamperedHeaderHasABadSignature() throws {
        let verifier = try TestKeys.hs256Verifier()
        let token = TokenFactory.hs256()
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        let forgedHeader = TokenFactory.segment(#"{"alg":"HS256","typ":"JWT","kid":"x"}"#)
        assertRefused(verifier.verifyNow("\(forgedHeader).\(parts[1]).\(parts[2])"), .badSignature)
    }

    func testATruncatedSignatureIsABadSignature() throws {
        let verifier = try TestKeys.hs256Verifier()
        let token = TokenFactory.hs256()
        // Drop 4 characters (3 bytes): still valid base64url, but a 29-byte MAC.
        assertRefused(verifier.verifyNow(String(token.dropLast(4))), .badSignature)
    }

    func testAnEmptySignatureIsABadSignature() throws {
        let verifier = try TestKeys.hs256Verifier()
        let token = TokenFactory.unsigned(header: TokenFactory.hs256Header)
        assertRefused(verifier.verifyNow(token), .badSignature)
    }
}
