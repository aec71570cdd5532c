import Foundation
import WSBridgeAuth
import XCTest

/// Asserts that `result` is a success for `user`.
func assertAccepted(
    _ result: Result<JWTIdentity, JWTError>,
    user: String,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    switch result {
    case .success(let identity):
        XCTAssertEqual(identity.user, user, file: file, line: line)
    case .failure(let error):
        XCTFail("expected acceptance, got \(error)", file: file, line: line)
    }
}

/// Asserts that `result` is a failure with `code`.
func assertRefused(
    _ result: Result<JWTIdentity, JWTError>,
    _ code: JWTError.Code,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    switch result {
    case .success(let identity):
        XCTFail("expected \(code.rawValue), got acceptance of \(identity.user)", file: file, line: line)
    case .failure(let error):
        XCTAssertEqual(error.code, code, "message: \(error.message)", file: file, line: line)
    }
}

extension JWTVerifier {
    /// Verifies at ``TokenFactory/now``.
    func verifyNow(_ token: String) -> Result<JWTIdentity, JWTError> {
        verify(token[...], now: TokenFactory.now)
    }
}
