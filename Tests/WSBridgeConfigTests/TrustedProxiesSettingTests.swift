import XCTest

@testable import WSBridgeConfig

final class TrustedProxiesSettingTests: XCTestCase {
    func testAddressesAndNetworksAreReadWithTheirHostBitsCleared() {
        let configuration = loaded("trusted_proxies = 127.0.0.1, 10.1.2.3/8, ::1, 2001:db8::/32")
        XCTAssertEqual(configuration?.trustedProxies.map(\.description), ["127.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32"])
        XCTAssertEqual(configuration?.trustedProxies[1].address, [10, 0, 0, 0])
        XCTAssertEqual(loaded("")?.trustedProxies, [])
    }

    func testABadEntryIsAnErrorNamingIt() {
        assertSingleError(
            "trusted_proxies = 127.0.0.1, proxy.example",
            #"test.conf:1: trusted_proxies: expected an IP address or a CIDR network such as 10.0.0.0/8 or ::1, got "proxy.example""#)
        assertSingleError("trusted_proxies = 10.0.0.0/33", #"test.conf:1: trusted_proxies: the prefix of "10.0.0.0/33" must be a number from 0 to 32"#)
    }
}
