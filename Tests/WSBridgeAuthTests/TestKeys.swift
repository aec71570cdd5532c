import Crypto
import WSBridgeAuth
import XCTest
import _CryptoExtras

/// RSA keys generated once per test run (2048-bit generation is slow in debug builds).
enum TestKeys {
    static let rsa: _RSA.Signing.PrivateKey? = try? _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let otherRSA: _RSA.Signing.PrivateKey? = try? _RSA.Signing.PrivateKey(keySize: .bits2048)

    static func rsaKey(file: StaticString = #filePath, line: UInt = #line) throws -> _RSA.Signing.PrivateKey {
        try XCTUnwrap(rsa, "RSA key generation failed", file: file, line: line)
    }

    static func otherRSAKey(file: StaticString = #filePath, line: UInt = #line) throws -> _RSA.Signing.PrivateKey {
        try XCTUnwrap(otherRSA, "RSA key generation failed", file: file, line: line)
    }

    /// A verifier for HS256 with ``TokenFactory/secret`` only.
    static func hs256Verifier(leeway: Duration = .seconds(30)) throws -> JWTVerifier {
        try JWTVerifier(hs256Secret: TokenFactory.secret, rs256PublicKeyPEM: nil, leeway: leeway)
    }

    /// A verifier for RS256 with ``rsa``'s public key (SPKI PEM) only.
    static func rs256Verifier() throws -> JWTVerifier {
        try JWTVerifier(hs256Secret: nil, rs256PublicKeyPEM: rsaKey().publicKey.pemRepresentation)
    }

    /// A verifier for both algorithms.
    static func bothVerifier() throws -> JWTVerifier {
        try JWTVerifier(hs256Secret: TokenFactory.secret, rs256PublicKeyPEM: rsaKey().publicKey.pemRepresentation)
    }
}
