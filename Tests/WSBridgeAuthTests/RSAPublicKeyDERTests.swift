import Foundation
import WSBridgeAuth
import XCTest
import _CryptoExtras

/// The RS256 key's DER is read by WSBridgeAuth itself; these build DER by hand to probe that reader.
final class RSAPublicKeyDERTests: XCTestCase {
    private static let rsaEncryptionOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]

    /// One DER element: tag, minimal length, content.
    private func der(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        let count = content.count
        let length: [UInt8]
        switch count {
        case ..<0x80: length = [UInt8(count)]
        case ..<0x100: length = [0x81, UInt8(count)]
        default: length = [0x82, UInt8(count >> 8), UInt8(count & 0xFF)]
        }
        return [tag] + length + content
    }

    private func pem(_ label: String, _ der: [UInt8]) -> String {
        let body = Data(der).base64EncodedString(options: .lineLength64Characters)
        return "-----BEGIN \(label)-----\n\(body)\n-----END \(label)-----\n"
    }

    private func pkcs1() throws -> [UInt8] {
        Array(try TestKeys.rsaKey().publicKey.pkcs1DERRepresentation)
    }

    private func spki(parameters: [UInt8]?, key: [UInt8]) -> [UInt8] {
        der(0x30, der(0x30, Self.rsaEncryptionOID + (parameters ?? [])) + der(0x03, [0x00] + key))
    }

    private func assertBadPEM(_ pem: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try JWTVerifier(hs256Secret: nil, rs256PublicKeyPEM: pem)
            XCTFail("the key was accepted", file: file, line: line)
        } catch {
            XCTAssertEqual(error.code, .badPEM, file: file, line: line)
        }
    }

    private func assertUsable(_ pem: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let verifier = try JWTVerifier(hs256Secret: nil, rs256PublicKeyPEM: pem)
        assertAccepted(verifier.verifyNow(try TokenFactory.rs256(key: TestKeys.rsaKey())), user: "alice", file: file, line: line)
    }

    func testHandBuiltSPKIWithAndWithoutNullParametersIsUsable() throws {
        try assertUsable(pem("PUBLIC KEY", spki(parameters: [0x05, 0x00], key: pkcs1())))
        try assertUsable(pem("PUBLIC KEY", spki(parameters: nil, key: pkcs1())))
    }

    func testSPKIWithOtherAlgorithmParametersIsRefused() throws {
        assertBadPEM(pem("PUBLIC KEY", spki(parameters: [0x05, 0x01, 0x00], key: try pkcs1())))
        assertBadPEM(pem("PUBLIC KEY", spki(parameters: [0x02, 0x01, 0x00], key: try pkcs1())))
    }

    func testSPKIWithAnotherAlgorithmOIDIsRefused() throws {
        var key = spki(parameters: [0x05, 0x00], key: try pkcs1())
        try assertUsable(pem("PUBLIC KEY", key))
        // Turn rsaEncryption (…1.1.1) into RSASSA-PSS (…1.1.10).
        let position = try XCTUnwrap(indexOf(Self.rsaEncryptionOID, in: key)) + Self.rsaEncryptionOID.count - 1
        key[position] = 0x0A
        assertBadPEM(pem("PUBLIC KEY", key))
    }

    func testABitStringWithUnusedBitsIsRefused() throws {
        let key = try pkcs1()
        let bad = der(0x30, der(0x30, Self.rsaEncryptionOID + [0x05, 0x00]) + der(0x03, [0x01] + key))
        assertBadPEM(pem("PUBLIC KEY", bad))
    }

    func testTrailingBytesAfterTheKeyAreRefused() throws {
        assertBadPEM(pem("RSA PUBLIC KEY", try pkcs1() + [0x00]))
        assertBadPEM(pem("PUBLIC KEY", spki(parameters: [0x05, 0x00], key: try pkcs1() + [0x00])))
    }

    func testTruncatedDERIsRefused() throws {
        let key = try pkcs1()
        assertBadPEM(pem("RSA PUBLIC KEY", Array(key.dropLast())))
        assertBadPEM(pem("RSA PUBLIC KEY", Array(key.prefix(4))))
    }

    func testANegativeModulusIsRefused() throws {
        // RSAPublicKey with the modulus's leading 0x00 removed, so its sign bit is set.
        var fields = try pkcs1()
        XCTAssertEqual(Array(fields.prefix(4)), [0x30, 0x82, 0x01, 0x0A])
        fields.removeFirst(4)
        XCTAssertEqual(Array(fields.prefix(5)), [0x02, 0x82, 0x01, 0x01, 0x00])
        let modulus = Array(fields[5..<(5 + 256)])
        let exponent = Array(fields[(5 + 256)...])
        assertBadPEM(pem("RSA PUBLIC KEY", der(0x30, der(0x02, modulus) + exponent)))
        try assertUsable(pem("RSA PUBLIC KEY", der(0x30, der(0x02, [0x00] + modulus) + exponent)))
    }

    func testANonMinimalLengthIsRefused() throws {
        // A four-byte length with leading zero bytes (0x84 00 00 01 0A) is not DER.
        let key = try pkcs1()
        let inner = Array(key.dropFirst(4))
        let padded = [0x30, 0x84, 0x00, 0x00, 0x01, 0x0A] + inner
        try assertUsable(pem("RSA PUBLIC KEY", key))
        assertBadPEM(pem("RSA PUBLIC KEY", padded))
    }

    private func indexOf(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}
