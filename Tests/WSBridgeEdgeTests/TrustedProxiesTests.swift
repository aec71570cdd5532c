import NIOCore
import XCTest

@testable import WSBridgeEdge

final class TrustedProxiesTests: XCTestCase {
    private let proxies = TrustedProxies([
        .init(address: [127, 0, 0, 1], prefixLength: 32),
        .init(address: [10, 0, 0, 0], prefixLength: 8),
        .init(address: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 12), prefixLength: 32),
    ])

    private func peer(_ ip: String) throws -> SocketAddress { try SocketAddress(ipAddress: ip, port: 40000) }

    func testTheRightmostUntrustedHopIsTheClient() throws {
        XCTAssertEqual(try proxies.forwardedClient(peer: peer("127.0.0.1"), forwardedFor: ["203.0.113.7"]), "203.0.113.7")
        // The client wrote 1.2.3.4 itself; the trusted proxies appended the rest.
        XCTAssertEqual(
            try proxies.forwardedClient(peer: peer("10.1.1.1"), forwardedFor: ["1.2.3.4, 203.0.113.7", "10.2.2.2"]), "203.0.113.7")
    }

    func testAnUntrustedPeerIsTheClientWhateverItForwards() throws {
        XCTAssertNil(try proxies.forwardedClient(peer: peer("198.51.100.1"), forwardedFor: ["203.0.113.7"]))
        XCTAssertNil(try TrustedProxies().forwardedClient(peer: peer("127.0.0.1"), forwardedFor: ["203.0.113.7"]))
    }

    func testPortsBracketsAndIPv6AreRead() throws {
        XCTAssertEqual(try proxies.forwardedClient(peer: peer("127.0.0.1"), forwardedFor: ["203.0.113.7:51234"]), "203.0.113.7")
        XCTAssertEqual(try proxies.forwardedClient(peer: peer("127.0.0.1"), forwardedFor: ["[2001:db9::5]:443"]), "2001:db9::5")
        XCTAssertEqual(try proxies.forwardedClient(peer: peer("2001:db8::1"), forwardedFor: ["2001:db9::5"]), "2001:db9::5")
        XCTAssertTrue(proxies.trusts("2001:db8:ffff::1"))
        XCTAssertFalse(proxies.trusts("2001:db9::1"))
        XCTAssertFalse(proxies.trusts("11.0.0.1"))
    }

    func testGarbageStopsTheWalkAtTheLastGoodHop() throws {
        XCTAssertEqual(try proxies.forwardedClient(peer: peer("127.0.0.1"), forwardedFor: ["unknown, 10.0.0.9"]), "10.0.0.9")
        XCTAssertNil(try proxies.forwardedClient(peer: peer("127.0.0.1"), forwardedFor: ["unknown"]))
        XCTAssertNil(try proxies.forwardedClient(peer: peer("127.0.0.1"), forwardedFor: []), "no header: the proxy is the client")
    }
}
