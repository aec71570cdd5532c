import Foundation
import WSBridgeAuth
import XCTest
import _CryptoExtras
import WSBridgeJSON

final class RS256VerificationTests: XCTestCase {
    func testAValidRS256TokenYieldsItsSubject() throws {
        let verifier = try TestKeys.rs256Verifier()
        let token = try TokenFactory.rs256(key: TestKeys.rsaKey())
        let identity = try verifier.verifyNow(token).get()
        XCTAssertEqual(identity, JWTIdentity(user: "alice", expiresAt: Date(timeIntervalSince1970: 1_700_000_600)))
    }

    func testAnRSAPublicKeyPEMInPKCS1FormIsAccepted() throws {
        let key = try TestKeys.rsaKey()
        let pem = key.publicKey.pkcs1PEMRepresentation
        XCTAssertTrue(pem.hasPrefix("-----BEGIN RSA PUBLIC KEY-----"))
        let verifier = try JWTVerifier(hs256Secret: nil, rs256PublicKeyPEM: pem)
        assertAccepted(verifier.verifyNow(try TokenFactory.rs256(key: key)), user: "alice")
    }

    func testAPublicKeyPEMInSPKIFormIsAccepted() throws {
        let key = try TestKeys.rsaKey()
        let pem = key.publicKey.pemRepresentation
        XCTAssertTrue(pem.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        let verifier = try JWTVerifier(hs256Secret: nil, rs256PublicKeyPEM: pem)
        assertAccepted(verifier.verifyNow(try TokenFactory.rs256(key: key)), user: "alice")
    }

    func testATokenSignedWithAnotherRSAKeyHasABadSignature() throws {
        let verifier = try TestKeys.rs256Verifier()
        let token = try TokenFactory.rs256(key: TestKeys.otherRSAKey())
        assertRefused(verifier.verifyNow(token), .badSignature)
    }

    func testATamperedRS256PayloadHasABadSignature() throws {
        let verifier = try TestKeys.rs256Verifier()
        let token = try TokenFactory.rs256(key: TestKeys.rsaKey())
        assertAccepted(verifier.verifyNow(token), user: "alice")

        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        let forgedPayload = TokenFactory.segment(#"{"sub":"admin","exp":1700000600}"#)
        assertRefused(verifier.verifyNow("\(parts[0]).\(forgedPayload).\(parts[2])"), .badSignature)
    }

    func testAnEmptyOrShortRS256SignatureIsABadSignature() throws {
        let verifier = try TestKeys.rs256Verifier()
        assertRefused(verifier.verifyNow(TokenFactory.unsigned(header: TokenFactory.rs256Header)), .badSignature)
        let short = TokenFactory.unsigned(header: TokenFactory.rs256Header, signature: Base64.encode([UInt8](repeating: 1, count: 32), variant: .url))
        assertRefused(verifier.verifyNow(short), .badSignature)
    }

    func testAPSSSignatureIsNotAcceptedAsRS256() throws {
        let key = try TestKeys.rsaKey()
        let verifier = try TestKeys.rs256Verifier()
        let input = TokenFactory.signingInput(header: TokenFactory.rs256Header, payload: TokenFactory.alicePayload)
        let pss = try key.signature(for: Array(input.utf8), padding: .PSS)
        assertRefused(verifier.verifyNow(input + "." + Base64.encode(pss.rawRepresentation, variant: .url)), .badSignature)
    }

    func testBothAlgorithmsAreAcceptedWhenBothKeysAreConfigured() throws {
        let verifier = try TestKeys.bothVerifier()
        assertAccepted(verifier.verifyNow(TokenFactory.hs256()), user: "alice")
        assertAccepted(verifier.verifyNow(try TokenFactory.rs256(key: TestKeys.rsaKey())), user: "alice")
    }
}
