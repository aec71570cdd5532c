import XCTest

@testable import WSBridgeConfig

final class ListenAddressTests: XCTestCase {
    func testHostAndPortAreRead() throws {
        XCTAssertEqual(try ListenAddress.parse("0.0.0.0:8080"), ListenAddress(host: "0.0.0.0", port: 8080))
        XCTAssertEqual(try ListenAddress.parse("localhost:1"), ListenAddress(host: "localhost", port: 1))
        XCTAssertEqual(try ListenAddress.parse("ws.example.com:65535"), ListenAddress(host: "ws.example.com", port: 65535))
    }

    func testPortZeroMeansAnyFreePort() throws {
        XCTAssertEqual(try ListenAddress.parse("127.0.0.1:0").port, 0)
    }

    func testIPv6AddressesGoInBracketsAndAreStoredWithout() throws {
        let address = try ListenAddress.parse("[::1]:8080")
        XCTAssertEqual(address, ListenAddress(host: "::1", port: 8080))
        XCTAssertEqual(address.description, "[::1]:8080")
        XCTAssertEqual(try ListenAddress.parse("[::]:80").host, "::")
        XCTAssertEqual(try ListenAddress.parse("[fe80::1%eth0]:80").host, "fe80::1%eth0")
        XCTAssertEqual(try ListenAddress.parse("[2001:db8::ffff:1.2.3.4]:80").host, "2001:db8::ffff:1.2.3.4")
    }

    func testADescriptionWithoutIPv6HasNoBrackets() {
        XCTAssertEqual(ListenAddress(host: "127.0.0.1", port: 8080).description, "127.0.0.1:8080")
    }

    func testAddressesWithoutAPortAreRejected() {
        for text in ["x", "", "127.0.0.1", ":8080", "[::1]", "::1:8080", "[::1]8080", "[::1:8080"] {
            XCTAssertEqual(
                valueError(ListenAddress.parse, text), "expected HOST:PORT (or [IPV6]:PORT), got \(text.debugDescription)",
                text)
        }
    }

    func testBadPortsAreRejected() {
        for port in ["65536", "99999", "-1", "http", "", "123456", "8O80"] {
            XCTAssertEqual(
                valueError(ListenAddress.parse, "127.0.0.1:\(port)"),
                "port must be a number from 0 to 65535, got \(port.debugDescription)", port)
        }
    }

    func testBadHostsAreRejected() {
        XCTAssertEqual(
            valueError(ListenAddress.parse, "my host:80"), "invalid host \"my host\" in \"my host:80\"")
        XCTAssertEqual(valueError(ListenAddress.parse, "[zz::1]:80"), "invalid host \"zz::1\" in \"[zz::1]:80\"")
        XCTAssertEqual(valueError(ListenAddress.parse, "-x:80"), "invalid host \"-x\" in \"-x:80\"")
    }

    func testTheListenKeyNamesItselfOnABadValue() {
        XCTAssertEqual(loaded("listen = [::1]:9000")?.listen, ListenAddress(host: "::1", port: 9000))
        assertSingleError("listen = x", "test.conf:1: listen: expected HOST:PORT (or [IPV6]:PORT), got \"x\"")
    }
}
