import Crypto
import Foundation
import WSBridgeAuth
import XCTest
import _CryptoExtras
import WSBridgeJSON

/// JWKS files: what is kept, what is skipped, what is refused, and how `kid` picks the key.
final class JWKSetTests: XCTestCase {
    /// A JWK for an RSA public key, with optional extra members.
    static func rsaJWK(_ key: _RSA.Signing.PublicKey, kid: String?, extra: String = "") throws -> String {
        let primitives = try key.getKeyPrimitives()
        let kidMember = kid.map { #","kid":"\#($0)""# } ?? ""
        return #"{"kty":"RSA","n":"\#(Base64.encode(primitives.modulus, variant: .url))","e":"\#(Base64.encode(primitives.publicExponent, variant: .url))"\#(kidMember)\#(extra)}"#
    }

    static func octJWK(_ secret: [UInt8], kid: String?, extra: String = "") -> String {
        let kidMember = kid.map { #","kid":"\#($0)""# } ?? ""
        return #"{"kty":"oct","k":"\#(Base64.encode(secret, variant: .url))"\#(kidMember)\#(extra)}"#
    }

    static func set(_ keys: [String]) -> [UInt8] {
        Array(#"{"keys":[\#(keys.joined(separator: ","))]}"#.utf8)
    }

    private func keyError(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> JWTKeyError? {
        do {
            _ = try JWKSet(json: Array(json.utf8))
            XCTFail("the set was accepted", file: file, line: line)
            return nil
        } catch {
            XCTAssertEqual(error.code, .badJWKS, file: file, line: line)
            return error
        }
    }

    func testRSAAndOctKeysAreKeptAndOthersSkipped() throws {
        let ec = #"{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA","kid":"ec"}"#
        let encryption = try Self.rsaJWK(TestKeys.otherRSAKey().publicKey, kid: "enc", extra: #","use":"enc""#)
        let rs512 = try Self.rsaJWK(TestKeys.otherRSAKey().publicKey, kid: "512", extra: #","alg":"RS512""#)
        let json = Self.set([
            try Self.rsaJWK(TestKeys.rsaKey().publicKey, kid: "r1", extra: #","alg":"RS256","use":"sig""#),
            Self.octJWK(TokenFactory.secret, kid: "h1"), ec, encryption, rs512,
        ])
        let set = try JWKSet(json: json)
        XCTAssertEqual(set.count, 2)
        XCTAssertEqual(set.kids, ["r1", "h1"])
        XCTAssertEqual(set.skipped, 3)
    }

    func testAFileThatIsNotAKeySetIsRefusedSayingWhat() {
        XCTAssertEqual(keyError("not json")?.message, "the JWKS file is not JSON")
        XCTAssertEqual(keyError(#"{"kty":"RSA"}"#)?.message, #"the JWKS file is not a JSON object with a "keys" array"#)
        XCTAssertEqual(keyError(#"{"keys":[1]}"#)?.message, "key 1 of the JWKS file is not a JSON object")
        XCTAssertEqual(keyError(#"{"keys":[{"n":"AQAB"}]}"#)?.message, #"key 1 has no string "kty""#)
    }

    func testAValueAloneIsNotJSONAndAnArrayIsNoKeySet() {
        XCTAssertEqual(keyError(#""keys""#)?.message, "the JWKS file is not JSON")
        XCTAssertEqual(keyError("42")?.message, "the JWKS file is not JSON")
        XCTAssertEqual(keyError(" [] ")?.message, #"the JWKS file is not a JSON object with a "keys" array"#)
        XCTAssertEqual(keyError(#"{"keys":{}}"#)?.message, #"the JWKS file is not a JSON object with a "keys" array"#)
    }

    func testOfAMemberGivenTwiceTheLastCounts() throws {
        let key = Self.octJWK(TokenFactory.secret, kid: "first", extra: #","kid":"last""#)
        XCTAssertEqual(try JWKSet(json: Self.set([key])).kids, ["last"])
        let skipped = Self.octJWK(TokenFactory.secret, kid: "h", extra: #","use":"sig","use":"enc""#)
        XCTAssertEqual(keyError(String(decoding: Self.set([skipped]), as: UTF8.self))?.message,
            "the JWKS file has no RS256 (kty RSA) or HS256 (kty oct) signing key; 1 other keys skipped")
    }

    func testAByteOrderMarkBeforeTheSetIsSkipped() throws {
        let set = try JWKSet(json: [0xEF, 0xBB, 0xBF] + Self.set([Self.octJWK(TokenFactory.secret, kid: "h")]))
        XCTAssertEqual(set.kids, ["h"])
    }

    func testASetWithoutAUsableKeyIsRefused() {
        XCTAssertEqual(keyError(#"{"keys":[]}"#)?.message, "the JWKS file has no RS256 (kty RSA) or HS256 (kty oct) signing key")
        XCTAssertEqual(
            keyError(#"{"keys":[{"kty":"EC","kid":"a"}]}"#)?.message,
            "the JWKS file has no RS256 (kty RSA) or HS256 (kty oct) signing key; 1 other keys skipped")
    }

    func testABadMemberNamesTheKeyByPositionAndKid() throws {
        XCTAssertEqual(
            keyError(#"{"keys":[{"kty":"oct","k":"a+b/","kid":"2026-12"}]}"#)?.message,
            #"key 1 (kid "2026-12"): "k" is not unpadded base64url"#)
        XCTAssertEqual(keyError(#"{"keys":[{"kty":"RSA","e":"AQAB"}]}"#)?.message, #"key 1 has no string "n""#)
        let short = Self.octJWK(Array(repeating: 7, count: 16), kid: "s")
        XCTAssertEqual(
            keyError(#"{"keys":[\#(short)]}"#)?.message,
            #"key 1 (kid "s"): an HS256 key needs at least 32 bytes, this one has 16"#)
    }

    func testAShortRSAKeyIsRefused() throws {
        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024)).publicKey
        let message = try keyError(String(decoding: Self.set([Self.rsaJWK(small, kid: "old")]), as: UTF8.self))?.message
        XCTAssertEqual(message, #"key 1 (kid "old"): the RS256 public key has 1024 bits; at least 2048 are required"#)
    }

    func testTwoKeysOfOneAlgorithmWithTheSameKidAreRefused() throws {
        let json = Self.set([Self.octJWK(TokenFactory.secret, kid: "a"), Self.octJWK(Array(repeating: 1, count: 32), kid: "a")])
        XCTAssertEqual(
            keyError(String(decoding: json, as: UTF8.self))?.message,
            #"key 2 (kid "a"): another HS256 key of the JWKS file has the same kid"#)
    }

    func testAKidInAMessageIsCutAndKeptPrintable() {
        let kid = "\\u0001" + String(repeating: "x", count: 100)
        let message = keyError(#"{"keys":[{"kty":"oct","k":"!","kid":"\#(kid)"}]}"#)?.message ?? ""
        XCTAssertTrue(message.hasPrefix(#"key 1 (kid ""# + String(repeating: "x", count: 64) + #""): "#), message)
    }

    // MARK: - kid picks the key

    private func rotatingVerifier() throws -> JWTVerifier {
        try JWTVerifier(
            hs256Secret: nil, rs256PublicKeyPEM: nil,
            jwks: Self.set([
                Self.rsaJWK(TestKeys.rsaKey().publicKey, kid: "old"),
                Self.rsaJWK(TestKeys.otherRSAKey().publicKey, kid: "new"),
                Self.octJWK(TokenFactory.secret, kid: "h"),
            ]))
    }

    func testATokenIsCheckedWithTheKeyItsKidNames() throws {
        let verifier = try rotatingVerifier()
        let old = try TokenFactory.rs256(header: #"{"alg":"RS256","kid":"old"}"#, key: TestKeys.rsaKey())
        let new = try TokenFactory.rs256(header: #"{"alg":"RS256","kid":"new"}"#, key: TestKeys.otherRSAKey())
        assertAccepted(verifier.verifyNow(old), user: "alice")
        assertAccepted(verifier.verifyNow(new), user: "alice")
        let crossed = try TokenFactory.rs256(header: #"{"alg":"RS256","kid":"new"}"#, key: TestKeys.rsaKey())
        assertRefused(verifier.verifyNow(crossed), .badSignature)
        assertAccepted(verifier.verifyNow(TokenFactory.hs256(header: #"{"alg":"HS256","kid":"h"}"#)), user: "alice")
        XCTAssertEqual(verifier.keyCount, 3)
        XCTAssertEqual(verifier.algorithms, ["HS256", "RS256"])
    }

    func testAnUnknownKidIsRefusedWhenEveryKeyOfTheAlgorithmHasAKid() throws {
        let token = try TokenFactory.rs256(header: #"{"alg":"RS256","kid":"gone"}"#, key: TestKeys.rsaKey())
        assertRefused(try rotatingVerifier().verifyNow(token), .unknownKey)
        // The kid of a key of another algorithm does not count either.
        let hs = TokenFactory.hs256(header: #"{"alg":"HS256","kid":"old"}"#)
        assertRefused(try rotatingVerifier().verifyNow(hs), .unknownKey)
    }

    func testATokenWithoutKidIsTriedWithEveryKeyOfItsAlgorithm() throws {
        let token = try TokenFactory.rs256(key: TestKeys.otherRSAKey())
        assertAccepted(try rotatingVerifier().verifyNow(token), user: "alice")
    }

    func testAnUnknownKidFallsBackToTheKeysWithoutKid() throws {
        // Issuers that always put a kid in the header keep working with jwt_public_key_file alone.
        let verifier = try JWTVerifier(
            hs256Secret: nil, rs256PublicKeyPEM: TestKeys.rsaKey().publicKey.pemRepresentation,
            jwks: Self.set([Self.rsaJWK(TestKeys.otherRSAKey().publicKey, kid: "new")]))
        let token = try TokenFactory.rs256(header: #"{"alg":"RS256","kid":"whatever"}"#, key: TestKeys.rsaKey())
        assertAccepted(verifier.verifyNow(token), user: "alice")
        let pemOnly = try TestKeys.rs256Verifier()
        assertAccepted(pemOnly.verifyNow(token), user: "alice")
    }

    func testAKidThatIsNotAStringIsMalformed() throws {
        let token = try TokenFactory.rs256(header: #"{"alg":"RS256","kid":7}"#, key: TestKeys.rsaKey())
        assertRefused(try rotatingVerifier().verifyNow(token), .malformed)
    }

    func testAJWKSKeyCannotVerifyTheOtherAlgorithm() throws {
        // An RS256 JWK's modulus used as an HMAC secret: refused, as with the PEM.
        let primitives = try TestKeys.rsaKey().publicKey.getKeyPrimitives()
        let forged = TokenFactory.hs256(header: #"{"alg":"HS256","kid":"old"}"#, secret: Array(primitives.modulus))
        let verifier = try JWTVerifier(
            hs256Secret: nil, rs256PublicKeyPEM: nil, jwks: Self.set([Self.rsaJWK(TestKeys.rsaKey().publicKey, kid: "old")]))
        assertRefused(verifier.verifyNow(forged), .unsupportedAlgorithm)
    }
}
