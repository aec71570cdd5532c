import Foundation
import WSBridgeAuth
import XCTest

final class ErrorMessageTests: XCTestCase {
    /// One refused token per error code, with distinctive text in each segment.
    private func refusedTokens() throws -> [String] {
        let marker = "TOKENTEXTMARKER"
        let rsa = try TestKeys.otherRSAKey()
        return [
            "\(marker).\(marker)",  // two parts
            TokenFactory.hs256(header: "\(marker) not json"),  // header not JSON
            TokenFactory.hs256(header: #"{"alg":"HS256","typ":"\#(marker)"}"#),  // bad typ
            TokenFactory.hs256(payload: #"["\#(marker)"]"#),  // payload array
            TokenFactory.hs256(payload: #"{"sub":"\#(marker)","exp":"\#(marker)"}"#),  // exp type
            TokenFactory.hs256(payload: #"{"sub":{"\#(marker)":1}}"#),  // sub type
            TokenFactory.unsigned(header: #"{"alg":"\#(marker)"}"#),  // unknown alg
            TokenFactory.unsigned(header: #"{"alg":"none"}"#, signature: marker),  // alg none
            try TokenFactory.rs256(payload: #"{"sub":"\#(marker)"}"#, key: rsa),  // wrong RS key
            TokenFactory.hs256(payload: #"{"sub":"\#(marker)"}"#, secret: Array(marker.utf8)),  // wrong secret
            TokenFactory.hs256(payload: #"{"sub":"\#(marker)","exp":1}"#),  // expired
            TokenFactory.hs256(payload: #"{"sub":"\#(marker)","nbf":1800000000}"#),  // not yet valid
            TokenFactory.hs256(payload: #"{"\#(marker)":""}"#),  // missing sub
            TokenFactory.hs256(payload: #"{"sub":"\#(String(repeating: marker, count: 600))"}"#),  // too long
        ]
    }

    func testErrorMessagesNeverContainTheTokenOrAnyPartOfIt() throws {
        let verifier = try TestKeys.bothVerifier()
        var codesSeen = Set<String>()
        for token in try refusedTokens() {
            guard case .failure(let error) = verifier.verifyNow(token) else {
                XCTFail("a token meant to be refused was accepted")
                continue
            }
            codesSeen.insert(error.code.rawValue)
            let segments = token.split(separator: ".").filter { $0.count >= 8 }
            for text in [error.message, error.description] {
                XCTAssertFalse(text.contains(token), "\(error.code.rawValue) message contains the token")
                XCTAssertFalse(text.contains("TOKENTEXTMARKER"), "\(error.code.rawValue) message contains token content")
                for segment in segments {
                    XCTAssertFalse(text.contains(segment), "\(error.code.rawValue) message contains a token segment")
                }
            }
        }
        let allCodes: [JWTError.Code] = [
            .malformed, .unsupportedAlgorithm, .badSignature, .expired, .notYetValid, .missingSubject,
        ]
        XCTAssertEqual(codesSeen, Set(allCodes.map(\.rawValue)))
    }

    func testErrorMessagesNeverContainTheSecret() throws {
        let verifier = try TestKeys.hs256Verifier()
        let secretText = String(decoding: TokenFactory.secret, as: UTF8.self)
        for token in try refusedTokens() {
            if case .failure(let error) = verifier.verifyNow(token) {
                XCTAssertFalse(error.description.contains(secretText))
            }
        }
    }

    func testTheStableCodesHaveTheirWireSpelling() {
        let codes: [JWTError.Code] = [
            .malformed, .unsupportedAlgorithm, .badSignature, .expired, .notYetValid, .missingSubject,
            .missingExpiry, .wrongIssuer, .wrongAudience, .unknownKey,
        ]
        XCTAssertEqual(
            codes.map(\.rawValue),
            ["malformed", "unsupported_algorithm", "bad_signature", "expired", "not_yet_valid", "missing_subject",
             "missing_exp", "bad_issuer", "bad_audience", "unknown_key"]
        )
    }

    func testAnErrorDescribesItselfAsCodeThenMessage() throws {
        let verifier = try TestKeys.hs256Verifier()
        guard case .failure(let error) = verifier.verifyNow(TokenFactory.hs256(payload: "{}")) else {
            return XCTFail("a token without sub was accepted")
        }
        XCTAssertEqual(error.description, "missing_subject: \(error.message)")
        XCTAssertFalse(error.message.isEmpty)
    }
}
