import Foundation
import XCTest

@testable import WSBridgeConfig

final class JWTSettingsTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private let secret = "0123456789abcdef0123456789abcdef"
    private let pem = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----\n"

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    override func tearDown() {
        directory.remove()
    }

    func testAnInlineSecretIsExposedAsBytes() {
        let configuration = loaded("auth = jwt\njwt_secret = \(secret)")
        XCTAssertEqual(configuration?.auth, .jwt)
        XCTAssertEqual(configuration?.jwtSecret, Array(secret.utf8))
    }

    func testASecretFileIsReadWithoutItsTrailingNewline() throws {
        let path = try directory.write("secret", secret + "\n")
        XCTAssertEqual(loaded("auth = jwt\njwt_secret_file = \(path)")?.jwtSecret, Array(secret.utf8))
        let crlf = try directory.write("secret-crlf", secret + "\r\n")
        XCTAssertEqual(loaded("auth = jwt\njwt_secret_file = \(crlf)")?.jwtSecret, Array(secret.utf8))
    }

    func testAPublicKeyFileIsReadAsPEMText() throws {
        let path = try directory.write("key.pem", pem)
        let configuration = loaded("auth = jwt\njwt_public_key_file = \(path)")
        XCTAssertEqual(configuration?.jwtPublicKeyPEM, pem)
        XCTAssertNil(configuration?.jwtSecret)
    }

    func testAJWKSFileIsReadAndIsEnoughForJWTAuth() throws {
        let jwks = #"{"keys":[{"kty":"oct","k":"AAAA","kid":"a"}]}"#
        let path = try directory.write("keys.json", "\n " + jwks)
        let configuration = loaded("auth = jwt\njwt_jwks_file = \(path)")
        XCTAssertEqual(configuration?.jwtJWKS, Array(("\n " + jwks).utf8))
        XCTAssertEqual(configuration?.description.contains("# jwt_jwks_file: JWKS loaded (\(jwks.utf8.count + 2) bytes)"), true)
    }

    func testAJWKSFileThatIsNotAJSONObjectIsAnErrorNamingThePath() throws {
        let path = try directory.write("keys.pem", pem)
        assertSingleError(
            "jwt_jwks_file = \(path)", #"test.conf:1: jwt_jwks_file: \#(path) is not a JWKS file (a JSON object with a "keys" array)"#)
        assertSingleError(
            "jwt_jwks_file = \(directory.path)/missing.json",
            "test.conf:1: jwt_jwks_file: cannot read \(directory.path)/missing.json: No such file or directory")
    }

    func testTheClaimRulesHaveTheirDefaultsAndCanBeSet() {
        let defaults = loaded("")
        XCTAssertEqual(defaults?.jwtRequireExp, true)
        XCTAssertNil(defaults?.jwtIssuer)
        XCTAssertEqual(defaults?.jwtAudiences, [])
        let set = loaded("jwt_require_exp = off\njwt_issuer = https://id.example\njwt_audience = wsbridge, chat")
        XCTAssertEqual(set?.jwtRequireExp, false)
        XCTAssertEqual(set?.jwtIssuer, "https://id.example")
        XCTAssertEqual(set?.jwtAudiences, ["wsbridge", "chat"])
        XCTAssertEqual(
            set.map { $0.changedKeys(comparedTo: defaults!) }.map { $0.map(\.rawValue) },
            ["jwt_require_exp", "jwt_issuer", "jwt_audience"])
        assertSingleError("jwt_require_exp = maybe", #"test.conf:1: jwt_require_exp: expected true or false (or yes/no, on/off), got "maybe""#)
        assertSingleError("jwt_audience = a,,b", #"test.conf:1: jwt_audience: expected a comma-separated list without empty entries, got "a,,b""#)
    }

    func testJWTAuthWithoutAnyKeyIsAnError() {
        assertSingleError(
            "# jwt\nauth = jwt\n", "test.conf:2: auth: jwt needs one of jwt_secret, jwt_secret_file, jwt_public_key_file or jwt_jwks_file")
        XCTAssertEqual(
            errorDescriptions("", overrides: [(key: .auth, value: "jwt")]),
            ["command line: --auth: jwt needs one of jwt_secret, jwt_secret_file, jwt_public_key_file or jwt_jwks_file"])
    }

    func testASecretAndASecretFileAreMutuallyExclusive() throws {
        let path = try directory.write("secret", secret)
        assertSingleError(
            "jwt_secret = \(secret)\njwt_secret_file = \(path)\n",
            "test.conf:2: jwt_secret_file: cannot be combined with jwt_secret (set on line 1); use one of them")
        assertSingleError(
            "jwt_secret = \(secret)\n", overrides: [(key: .jwtSecretFile, value: path)],
            "command line: --jwt-secret-file: cannot be combined with jwt_secret (set on line 1 of test.conf); use one of them")
    }

    func testAShortInlineSecretIsRejectedWithoutShowingIt() {
        assertSingleError(
            "jwt_secret = \"short one\"", "test.conf:1: jwt_secret: HS256 secrets must be at least 32 bytes, got 9")
    }

    func testAShortSecretFileIsRejected() throws {
        let path = try directory.write("secret", "tooshort\n")
        assertSingleError(
            "auth = jwt\njwt_secret_file = \(path)",
            "test.conf:2: jwt_secret_file: HS256 secrets must be at least 32 bytes; \(path) holds 8")
    }

    func testAMissingSecretFileNamesTheKeyLineAndPath() {
        let path = directory.path + "/nope"
        assertSingleError(
            "auth = jwt\n\njwt_secret_file = \(path)",
            "test.conf:3: jwt_secret_file: cannot read \(path): No such file or directory")
    }

    func testAKeyFileBelowARegularFileNamesTheSystemReason() throws {
        let file = try directory.write("plain", "x")
        assertSingleError(
            "jwt_public_key_file = \(file)/key.pem",
            "test.conf:1: jwt_public_key_file: cannot read \(file)/key.pem: Not a directory")
    }

    func testAKeyFileThatIsADirectoryIsReported() {
        assertSingleError(
            "jwt_public_key_file = \(directory.path)",
            "test.conf:1: jwt_public_key_file: cannot read \(directory.path): Is a directory")
    }

    func testAKeyFileThatIsNotPEMIsRejected() throws {
        let path = try directory.write("key.der", "not a key")
        assertSingleError(
            "jwt_public_key_file = \(path)",
            "test.conf:1: jwt_public_key_file: \(path) is not a PEM file (no \"-----BEGIN\" line)")
    }

    func testABrokenSecretIsReportedOnceNotAgainAsAMissingKey() {
        assertSingleError(
            "auth = jwt\njwt_secret = short", "test.conf:2: jwt_secret: HS256 secrets must be at least 32 bytes, got 5")
    }

    func testAnEmptyFlagClearsTheFilesSecretFile() throws {
        let path = try directory.write("secret", secret)
        XCTAssertEqual(
            errorDescriptions("auth = jwt\njwt_secret_file = \(path)", overrides: [(key: .jwtSecretFile, value: "")]),
            ["test.conf:1: auth: jwt needs one of jwt_secret, jwt_secret_file, jwt_public_key_file or jwt_jwks_file"])
    }

    func testTheLeewayIsADuration() {
        XCTAssertEqual(loaded("jwt_leeway = 0")?.jwtLeeway, .zero)
        XCTAssertEqual(loaded("jwt_leeway = 2m")?.jwtLeeway, .seconds(120))
    }
}
