import Crypto
import Foundation
import WSBridgeAuth
import XCTest
import _CryptoExtras

final class KeyConfigurationTests: XCTestCase {
    private func keyError(
        hs256Secret: [UInt8]?,
        rs256PublicKeyPEM: String?,
        leeway: Duration = .seconds(30),
        file: StaticString = #filePath,
        line: UInt = #line
    ) -> JWTKeyError? {
        do {
            _ = try JWTVerifier(hs256Secret: hs256Secret, rs256PublicKeyPEM: rs256PublicKeyPEM, leeway: leeway)
            XCTFail("the verifier was created", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testNoKeyAtAllIsAKeyError() {
        XCTAssertEqual(keyError(hs256Secret: nil, rs256PublicKeyPEM: nil)?.code, .noKey)
    }

    func testAnEmptySecretIsAKeyError() {
        let error = keyError(hs256Secret: [], rs256PublicKeyPEM: nil)
        XCTAssertEqual(error?.code, .emptySecret)
        XCTAssertEqual(error?.message, "the HS256 secret is empty")
    }

    func testGarbagePEMIsAKeyError() {
        let error = keyError(hs256Secret: nil, rs256PublicKeyPEM: "this is not a key")
        XCTAssertEqual(error?.code, .badPEM)
        XCTAssertTrue(error?.message.contains("PUBLIC KEY") ?? false, error?.message ?? "")
    }

    func testAPEMBlockWithGarbageInsideIsAKeyError() {
        let pem = "-----BEGIN PUBLIC KEY-----\nAAAAAAAAAAAAAAAA\n-----END PUBLIC KEY-----\n"
        XCTAssertEqual(keyError(hs256Secret: nil, rs256PublicKeyPEM: pem)?.code, .badPEM)
        XCTAssertEqual(keyError(hs256Secret: nil, rs256PublicKeyPEM: "")?.code, .badPEM)
    }

    func testAPrivateKeyPEMIsNotAcceptedAsThePublicKey() throws {
        let pem = try TestKeys.rsaKey().pemRepresentation
        let error = keyError(hs256Secret: nil, rs256PublicKeyPEM: pem)
        XCTAssertEqual(error?.code, .badPEM)
        XCTAssertTrue(error?.message.contains("PRIVATE KEY' PEM block; expected") ?? false, error?.message ?? "")
    }

    func testAnECPublicKeyIsAKeyErrorNotACrash() {
        let pem = P256.Signing.PrivateKey().publicKey.pemRepresentation
        XCTAssertTrue(pem.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        let error = keyError(hs256Secret: nil, rs256PublicKeyPEM: pem)
        XCTAssertEqual(error?.code, .badPEM)
        XCTAssertEqual(error?.message, "the RS256 'PUBLIC KEY' PEM block does not hold an RSA public key")
    }

    func testPrivateKeyDERUnderAPublicKeyLabelIsAKeyErrorNotACrash() throws {
        let privatePEM = try TestKeys.rsaKey().pemRepresentation
        let body = privatePEM.split(whereSeparator: \.isNewline).dropFirst().dropLast().joined(separator: "\n")
        for label in ["PUBLIC KEY", "RSA PUBLIC KEY"] {
            let pem = "-----BEGIN \(label)-----\n\(body)\n-----END \(label)-----\n"
            XCTAssertEqual(keyError(hs256Secret: nil, rs256PublicKeyPEM: pem)?.code, .badPEM, label)
        }
    }

    func testEachPEMLabelMustHoldItsOwnEncoding() throws {
        let publicKey = try TestKeys.rsaKey().publicKey
        let spkiBody = publicKey.pemRepresentation.split(whereSeparator: \.isNewline).dropFirst().dropLast()
        let pkcs1Body = publicKey.pkcs1PEMRepresentation.split(whereSeparator: \.isNewline).dropFirst().dropLast()
        let swapped = [
            "-----BEGIN RSA PUBLIC KEY-----\n\(spkiBody.joined(separator: "\n"))\n-----END RSA PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\n\(pkcs1Body.joined(separator: "\n"))\n-----END PUBLIC KEY-----",
        ]
        for pem in swapped {
            XCTAssertEqual(keyError(hs256Secret: nil, rs256PublicKeyPEM: pem)?.code, .badPEM)
        }
    }

    func testMismatchedPEMBoundariesAreAKeyError() throws {
        let pem = try TestKeys.rsaKey().publicKey.pemRepresentation
            .replacingOccurrences(of: "-----END PUBLIC KEY-----", with: "-----END RSA PUBLIC KEY-----")
        XCTAssertEqual(keyError(hs256Secret: nil, rs256PublicKeyPEM: pem)?.code, .badPEM)
    }

    func testAnRSAKeyShorterThan2048BitsIsAKeyErrorNamingItsSize() throws {
        let weak = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        let error = keyError(hs256Secret: nil, rs256PublicKeyPEM: weak.publicKey.pemRepresentation)
        XCTAssertEqual(error?.code, .badPEM)
        XCTAssertTrue(error?.message.contains("1024 bits") ?? false, error?.message ?? "")
    }

    func testABadPEMFailsEvenWhenTheSecretIsGood() {
        XCTAssertEqual(keyError(hs256Secret: TokenFactory.secret, rs256PublicKeyPEM: "junk")?.code, .badPEM)
    }

    func testANegativeLeewayIsAKeyError() {
        XCTAssertEqual(
            keyError(hs256Secret: TokenFactory.secret, rs256PublicKeyPEM: nil, leeway: .seconds(-1))?.code,
            .negativeLeeway
        )
    }

    func testAPEMWithWindowsLineEndingsAndATrailingNewlineIsAccepted() throws {
        let key = try TestKeys.rsaKey()
        let pem = key.publicKey.pemRepresentation.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
        let verifier = try JWTVerifier(hs256Secret: nil, rs256PublicKeyPEM: pem)
        assertAccepted(verifier.verifyNow(try TokenFactory.rs256(key: key)), user: "alice")
    }

    func testAKeyErrorDescribesItselfWithItsCode() {
        let error = JWTKeyError(code: .emptySecret, message: "the HS256 secret is empty")
        XCTAssertEqual(error.description, "empty_secret: the HS256 secret is empty")
    }

    func testAKeyErrorNeverContainsTheSecret() {
        let secret = Array("super-secret-value-do-not-log-it".utf8)
        let error = keyError(hs256Secret: secret, rs256PublicKeyPEM: "junk")
        XCTAssertEqual(error?.code, .badPEM)
        XCTAssertFalse(error?.description.contains("super-secret") ?? true)
    }
}
