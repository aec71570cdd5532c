import Foundation
import WSBridgeAuth
import XCTest

final class AlgorithmSelectionTests: XCTestCase {
    func testAnHS256TokenIsUnsupportedWhenOnlyRS256IsConfigured() throws {
        let verifier = try TestKeys.rs256Verifier()
        assertRefused(verifier.verifyNow(TokenFactory.hs256()), .unsupportedAlgorithm)
    }

    func testAnRS256TokenIsUnsupportedWhenOnlyHS256IsConfigured() throws {
        let verifier = try TestKeys.hs256Verifier()
        let token = try TokenFactory.rs256(key: TestKeys.rsaKey())
        assertRefused(verifier.verifyNow(token), .unsupportedAlgorithm)
    }

    func testAnHS256TokenKeyedWithTheRSAPublicKeyPEMIsRefused() throws {
        // The classic algorithm-confusion forgery: HMAC keyed with the (public) PEM text.
        let pem = try TestKeys.rsaKey().publicKey.pemRepresentation
        let forged = TokenFactory.hs256(secret: Array(pem.utf8))
        assertRefused(try TestKeys.rs256Verifier().verifyNow(forged), .unsupportedAlgorithm)
        assertRefused(try TestKeys.bothVerifier().verifyNow(forged), .badSignature)
    }

    func testAlgNoneWithAnEmptySignatureIsUnsupported() throws {
        let verifier = try TestKeys.bothVerifier()
        let token = TokenFactory.unsigned(header: #"{"alg":"none","typ":"JWT"}"#)
        XCTAssertTrue(token.hasSuffix("."))
        assertRefused(verifier.verifyNow(token), .unsupportedAlgorithm)
    }

    func testAlgNoneInUpperCaseIsUnsupported() throws {
        let verifier = try TestKeys.bothVerifier()
        assertRefused(verifier.verifyNow(TokenFactory.unsigned(header: #"{"alg":"NONE"}"#)), .unsupportedAlgorithm)
        assertRefused(verifier.verifyNow(TokenFactory.unsigned(header: #"{"alg":"None"}"#)), .unsupportedAlgorithm)
    }

    func testAlgNoneCarryingAValidHMACIsStillUnsupported() throws {
        let verifier = try TestKeys.hs256Verifier()
        let token = TokenFactory.hs256(header: #"{"alg":"none"}"#)
        assertRefused(verifier.verifyNow(token), .unsupportedAlgorithm)
    }

    func testAnUnknownAlgorithmIsUnsupported() throws {
        let verifier = try TestKeys.bothVerifier()
        for alg in ["ES256", "HS512", "PS256", "EdDSA", ""] {
            let token = TokenFactory.hs256(header: #"{"alg":"\#(alg)"}"#)
            assertRefused(verifier.verifyNow(token), .unsupportedAlgorithm)
        }
    }

    func testAlgorithmNamesAreCaseSensitive() throws {
        let verifier = try TestKeys.hs256Verifier()
        assertAccepted(verifier.verifyNow(TokenFactory.hs256(header: #"{"alg":"HS256"}"#)), user: "alice")
        assertRefused(verifier.verifyNow(TokenFactory.hs256(header: #"{"alg":"hs256"}"#)), .unsupportedAlgorithm)
    }

    func testTheUnsupportedAlgorithmMessageListsTheAcceptedOnes() throws {
        let verifier = try TestKeys.rs256Verifier()
        guard case .failure(let error) = verifier.verifyNow(TokenFactory.hs256()) else {
            return XCTFail("an HS256 token was accepted by an RS256-only verifier")
        }
        XCTAssertTrue(error.message.hasSuffix("accepted: RS256"), error.message)
    }

    func testAlgorithmsListsTheConfiguredOnesInAFixedOrder() throws {
        XCTAssertEqual(try TestKeys.hs256Verifier().algorithms, ["HS256"])
        XCTAssertEqual(try TestKeys.rs256Verifier().algorithms, ["RS256"])
        XCTAssertEqual(try TestKeys.bothVerifier().algorithms, ["HS256", "RS256"])
    }
}
