import Foundation
import WSBridgeAuth
import XCTest

/// ``TokenFactory/now`` is 1_700_000_000; the default leeway is 30 s.
final class TimeClaimTests: XCTestCase {
    private func verify(_ payload: String, leeway: Duration = .seconds(30)) throws -> Result<JWTIdentity, JWTError> {
        try TestKeys.hs256Verifier(leeway: leeway).verifyNow(TokenFactory.hs256(payload: payload))
    }

    func testATokenExpiredBeyondTheLeewayIsExpired() throws {
        assertRefused(try verify(#"{"sub":"alice","exp":1699999900}"#), .expired)
    }

    func testATokenExpiredWithinTheLeewayIsAccepted() throws {
        assertAccepted(try verify(#"{"sub":"alice","exp":1699999980}"#), user: "alice")
    }

    func testExpiryIsInclusiveAtExactlyTheLeeway() throws {
        assertAccepted(try verify(#"{"sub":"alice","exp":1699999970}"#), user: "alice")
        assertRefused(try verify(#"{"sub":"alice","exp":1699999969}"#), .expired)
    }

    func testAFractionalExpIsComparedExactly() throws {
        assertAccepted(try verify(#"{"sub":"alice","exp":1699999970.0}"#), user: "alice")
        assertRefused(try verify(#"{"sub":"alice","exp":1699999969.5}"#), .expired)
    }

    func testWithZeroLeewayATokenExpiredASecondAgoIsExpired() throws {
        assertRefused(try verify(#"{"sub":"alice","exp":1699999999}"#, leeway: .zero), .expired)
        assertAccepted(try verify(#"{"sub":"alice","exp":1700000000}"#, leeway: .zero), user: "alice")
    }

    func testASubSecondLeewayIsHonoured() throws {
        assertAccepted(try verify(#"{"sub":"alice","exp":1699999999}"#, leeway: .milliseconds(1500)), user: "alice")
        assertRefused(try verify(#"{"sub":"alice","exp":1699999998}"#, leeway: .milliseconds(1500)), .expired)
    }

    func testANotBeforeInTheFutureBeyondTheLeewayIsNotYetValid() throws {
        assertRefused(try verify(#"{"sub":"alice","nbf":1700000100}"#), .notYetValid)
    }

    func testANotBeforeInTheFutureWithinTheLeewayIsAccepted() throws {
        assertAccepted(try verify(#"{"sub":"alice","nbf":1700000030}"#), user: "alice")
        assertRefused(try verify(#"{"sub":"alice","nbf":1700000031}"#), .notYetValid)
    }

    func testANotBeforeInThePastIsAccepted() throws {
        assertAccepted(try verify(#"{"sub":"alice","nbf":1600000000,"exp":1800000000}"#), user: "alice")
    }

    func testAnExpThatIsNotANumberIsMalformed() throws {
        assertRefused(try verify(#"{"sub":"alice","exp":"1800000000"}"#), .malformed)
        assertRefused(try verify(#"{"sub":"alice","exp":true}"#), .malformed)
        assertRefused(try verify(#"{"sub":"alice","exp":[1800000000]}"#), .malformed)
    }

    func testAnNbfThatIsNotANumberIsMalformed() throws {
        assertRefused(try verify(#"{"sub":"alice","nbf":"1600000000"}"#), .malformed)
        assertRefused(try verify(#"{"sub":"alice","nbf":{}}"#), .malformed)
    }

    func testANullExpIsTreatedAsAbsent() throws {
        let identity = try verify(#"{"sub":"alice","exp":null}"#).get()
        XCTAssertEqual(identity, JWTIdentity(user: "alice", expiresAt: nil))
    }

    func testTheDefaultNowIsTheCurrentTime() throws {
        let verifier = try TestKeys.hs256Verifier()
        let expired = TokenFactory.hs256(payload: #"{"sub":"alice","exp":1700000600}"#)
        assertRefused(verifier.verify(expired[...]), .expired)
        let future = Int(Date().timeIntervalSince1970) + 3600
        assertAccepted(verifier.verify(TokenFactory.hs256(payload: #"{"sub":"alice","exp":\#(future)}"#)[...]), user: "alice")
    }
}
