import Foundation
import WSBridgeAuth
import XCTest

final class SubjectClaimTests: XCTestCase {
    private func verify(_ payload: String) throws -> Result<JWTIdentity, JWTError> {
        try TestKeys.hs256Verifier().verifyNow(TokenFactory.hs256(payload: payload))
    }

    func testAMissingSubjectIsRefused() throws {
        assertRefused(try verify(#"{"exp":1700000600}"#), .missingSubject)
        assertRefused(try verify("{}"), .missingSubject)
    }

    func testAnEmptySubjectIsRefused() throws {
        assertRefused(try verify(#"{"sub":""}"#), .missingSubject)
    }

    func testANullSubjectIsRefusedAsMissing() throws {
        assertRefused(try verify(#"{"sub":null}"#), .missingSubject)
    }

    func testANumericSubjectBecomesItsDecimalText() throws {
        assertAccepted(try verify(#"{"sub":42}"#), user: "42")
        assertAccepted(try verify(#"{"sub":-7}"#), user: "-7")
        assertAccepted(try verify(#"{"sub":0}"#), user: "0")
    }

    func testAnIntegerSubjectBeyondInt64IsKeptExact() throws {
        assertAccepted(try verify(#"{"sub":18446744073709551615}"#), user: "18446744073709551615")
        assertAccepted(try verify(#"{"sub":9007199254740993}"#), user: "9007199254740993")
    }

    func testAFractionalSubjectIsMalformed() throws {
        assertRefused(try verify(#"{"sub":1.5}"#), .malformed)
    }

    func testASubjectOfAnotherTypeIsMalformed() throws {
        assertRefused(try verify(#"{"sub":true}"#), .malformed)
        assertRefused(try verify(#"{"sub":["alice"]}"#), .malformed)
        assertRefused(try verify(#"{"sub":{"id":"alice"}}"#), .malformed)
    }

    func testANonASCIISubjectIsReturnedAsIs() throws {
        assertAccepted(try verify(#"{"sub":"zoë-北京"}"#), user: "zoë-北京")
        assertAccepted(try verify(#"{"sub":"a\"b\u00e9"}"#), user: "a\"bé")
    }

    func testOtherClaimsAreIgnored() throws {
        assertAccepted(try verify(#"{"sub":"alice","iat":"whenever","aud":["x"],"data":{"k":[1,2]}}"#), user: "alice")
    }
}
