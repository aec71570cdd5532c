import XCTest

@testable import WSBridgeConfig

final class OriginAllowlistTests: XCTestCase {
    func testAStarAllowsAnyOrigin() throws {
        XCTAssertEqual(try OriginAllowlist.parse("*"), .any)
        XCTAssertTrue(OriginAllowlist.any.allows("https://evil.example"))
    }

    func testOriginsAreNormalizedToTheBrowserForm() throws {
        XCTAssertEqual(
            try OriginAllowlist.parse("https://A.Example, HTTP://localhost:3000, https://b.example:443, http://c.example:80"),
            .only(["https://a.example", "http://localhost:3000", "https://b.example", "http://c.example"]))
        XCTAssertEqual(try OriginAllowlist.parse("http://[::1]:8080"), .only(["http://[::1]:8080"]))
    }

    func testOnlyListedOriginsAreAllowed() throws {
        let allowlist = try OriginAllowlist.parse("https://a.example, https://b.example:8443")
        XCTAssertTrue(allowlist.allows("https://a.example"))
        XCTAssertTrue(allowlist.allows("https://A.EXAMPLE:443"))
        XCTAssertTrue(allowlist.allows("https://b.example:8443"))
        XCTAssertFalse(allowlist.allows("https://b.example"))
        XCTAssertFalse(allowlist.allows("http://a.example"))
        XCTAssertFalse(allowlist.allows("null"))
    }

    func testARequestWithoutAnOriginHeaderIsAllowed() throws {
        XCTAssertTrue(try OriginAllowlist.parse("https://a.example").allows(nil))
    }

    func testMalformedOriginsAreRejected() {
        let cases = [
            ("a.example", "expected an origin such as https://app.example (http or https), got \"a.example\""),
            ("ftp://a.example", "expected an origin such as https://app.example (http or https), got \"ftp://a.example\""),
            ("https://a.example/", "an origin is scheme://host[:port] with no path, query or user, got \"https://a.example/\""),
            ("https://a.example/app", "an origin is scheme://host[:port] with no path, query or user, got \"https://a.example/app\""),
            ("https://u@a.example", "an origin is scheme://host[:port] with no path, query or user, got \"https://u@a.example\""),
            ("https://", "invalid host in origin \"https://\""),
            ("https://*.example", "invalid host in origin \"https://*.example\""),
            ("https://a.example:0", "invalid port in origin \"https://a.example:0\""),
            ("https://a.example:x", "invalid port in origin \"https://a.example:x\""),
            ("*, https://a.example", "* (any origin) cannot be combined with other origins"),
            ("https://a.example,", "expected a comma-separated list without empty entries, got \"https://a.example,\""),
        ]
        for (text, message) in cases {
            XCTAssertEqual(valueError(OriginAllowlist.parse, text), message, text)
        }
    }

    func testTheAllowedOriginsKeyTakesAList() {
        XCTAssertEqual(
            loaded("allowed_origins = https://a.example, https://b.example")?.allowedOrigins,
            .only(["https://a.example", "https://b.example"]))
        assertSingleError(
            "allowed_origins =",
            "test.conf:1: allowed_origins: expected a comma-separated list without empty entries, got \"\"")
    }
}
