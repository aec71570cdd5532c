import Foundation
import WSBridgeAuth
import XCTest

/// `jwt_require_exp`, `jwt_issuer` and `jwt_audience`. ``TokenFactory/now`` is 1_700_000_000.
final class ClaimPolicyTests: XCTestCase {
    private func verifier(requireExpiry: Bool = false, issuer: String? = nil, audiences: [String] = []) throws -> JWTVerifier {
        try JWTVerifier(
            hs256Secret: TokenFactory.secret, rs256PublicKeyPEM: nil,
            requireExpiry: requireExpiry, issuer: issuer, audiences: audiences)
    }

    private func verify(_ payload: String, _ verifier: JWTVerifier) -> Result<JWTIdentity, JWTError> {
        verifier.verifyNow(TokenFactory.hs256(payload: payload))
    }

    func testATokenWithoutExpIsRefusedWhenExpIsRequired() throws {
        let strict = try verifier(requireExpiry: true)
        assertRefused(verify(#"{"sub":"alice"}"#, strict), .missingExpiry)
        assertRefused(verify(#"{"sub":"alice","exp":null}"#, strict), .missingExpiry)
        assertAccepted(verify(#"{"sub":"alice","exp":1700000600}"#, strict), user: "alice")
        assertAccepted(verify(#"{"sub":"alice"}"#, try verifier()), user: "alice")
    }

    func testTheIssuerMustMatchExactlyWhenConfigured() throws {
        let strict = try verifier(issuer: "https://id.example")
        assertAccepted(verify(#"{"sub":"alice","iss":"https://id.example"}"#, strict), user: "alice")
        assertRefused(verify(#"{"sub":"alice","iss":"https://id.example/"}"#, strict), .wrongIssuer)
        assertRefused(verify(#"{"sub":"alice","iss":"HTTPS://ID.EXAMPLE"}"#, strict), .wrongIssuer)
        assertRefused(verify(#"{"sub":"alice"}"#, strict), .wrongIssuer)
        assertAccepted(verify(#"{"sub":"alice","iss":"anyone"}"#, try verifier()), user: "alice")
    }

    func testTheAudienceMayBeAStringOrAnArrayAndMustNameAConfiguredOne() throws {
        let strict = try verifier(audiences: ["wsbridge", "chat"])
        assertAccepted(verify(#"{"sub":"alice","aud":"chat"}"#, strict), user: "alice")
        assertAccepted(verify(#"{"sub":"alice","aud":["billing","wsbridge"]}"#, strict), user: "alice")
        assertRefused(verify(#"{"sub":"alice","aud":["billing"]}"#, strict), .wrongAudience)
        assertRefused(verify(#"{"sub":"alice","aud":[]}"#, strict), .wrongAudience)
        assertRefused(verify(#"{"sub":"alice"}"#, strict), .wrongAudience)
        assertAccepted(verify(#"{"sub":"alice","aud":"billing"}"#, try verifier()), user: "alice")
    }

    func testIssAndAudOfTheWrongTypeAreMalformed() throws {
        let lax = try verifier()
        assertRefused(verify(#"{"sub":"alice","iss":7}"#, lax), .malformed)
        assertRefused(verify(#"{"sub":"alice","aud":{"a":1}}"#, lax), .malformed)
        assertRefused(verify(#"{"sub":"alice","aud":["a",1]}"#, lax), .malformed)
    }

    func testTheChecksComeInTheDocumentedOrder() throws {
        let strict = try verifier(requireExpiry: true, issuer: "i", audiences: ["a"])
        assertRefused(verify(#"{"aud":"x","iss":"x"}"#, strict), .missingExpiry)
        assertRefused(verify(#"{"exp":1,"aud":"x","iss":"x"}"#, strict), .expired)
        assertRefused(verify(#"{"exp":1700000600,"nbf":1800000000,"aud":"x","iss":"x"}"#, strict), .notYetValid)
        assertRefused(verify(#"{"exp":1700000600,"aud":"x","iss":"x"}"#, strict), .wrongIssuer)
        assertRefused(verify(#"{"exp":1700000600,"aud":"x","iss":"i"}"#, strict), .wrongAudience)
        assertRefused(verify(#"{"exp":1700000600,"aud":"a","iss":"i"}"#, strict), .missingSubject)
        assertAccepted(verify(#"{"exp":1700000600,"aud":"a","iss":"i","sub":"bob"}"#, strict), user: "bob")
    }

    func testTheNewCodesNeverEchoTheClaims() throws {
        let strict = try verifier(requireExpiry: true, issuer: "i", audiences: ["a"])
        for payload in [#"{"sub":"MARKER"}"#, #"{"sub":"s","exp":1700000600,"iss":"MARKER"}"#,
                        #"{"sub":"s","exp":1700000600,"iss":"i","aud":"MARKER"}"#] {
            guard case .failure(let error) = verify(payload, strict) else { return XCTFail(payload) }
            XCTAssertFalse(error.description.contains("MARKER"), error.description)
        }
    }
}
