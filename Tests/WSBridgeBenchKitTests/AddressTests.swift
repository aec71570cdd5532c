import XCTest

@testable import WSBridgeBenchKit

final class AddressTests: XCTestCase {
    func testOnlyLoopbackAddressesAreAccepted() throws {
        XCTAssertEqual(try LoopbackIPv4(parsing: "127.1.2.3").description, "127.1.2.3")
        XCTAssertEqual(try LoopbackIPv4(parsing: "localhost").description, "127.0.0.1")
        for bad in ["10.0.0.1", "192.168.1.1", "8.8.8.8", "127.0.0", "127.0.0.256", "", "::1", "127.0.0.1.1"] {
            XCTAssertThrowsError(try LoopbackIPv4(parsing: bad), bad)
        }
        XCTAssertThrowsError(try LoopbackURL(parsing: "ws://10.1.1.1:80/ws", schemes: ["ws"]))
        XCTAssertThrowsError(try SocketEndpoint(parsing: "redis://192.168.0.1:6379", defaultPort: 6379))
    }

    func testURLsAndEndpoints() throws {
        let url = try LoopbackURL(parsing: "ws://127.0.0.1:8080/ws", schemes: ["ws"])
        XCTAssertEqual(url.endpoint.port, 8080)
        XCTAssertEqual(url.path, "/ws")
        XCTAssertThrowsError(try LoopbackURL(parsing: "ws://127.0.0.1:8080/ws?user=a", schemes: ["ws"]))
        XCTAssertThrowsError(try LoopbackURL(parsing: "http://127.0.0.1/ws", schemes: ["ws"]))
        XCTAssertEqual(try LoopbackURL(parsing: "ws://127.0.0.1", schemes: ["ws"]).path, "/")

        guard case .tcp(let redis) = try SocketEndpoint(parsing: "redis://127.0.0.1", defaultPort: 6379) else {
            return XCTFail("a TCP endpoint")
        }
        XCTAssertEqual(redis.port, 6379)
        guard case .unix(let path) = try SocketEndpoint(parsing: "unix:/tmp/x.sock", defaultPort: 1) else {
            return XCTFail("a Unix endpoint")
        }
        XCTAssertEqual(path, "/tmp/x.sock")
    }

    func testSourceAddressesAreDealtRoundRobin() throws {
        let range = try SourceRange(parsing: "127.0.0.1-127.0.0.16")
        XCTAssertEqual(range.count, 16)
        XCTAssertEqual(range.address(for: 0).description, "127.0.0.1")
        XCTAssertEqual(range.address(for: 15).description, "127.0.0.16")
        XCTAssertEqual(range.address(for: 17).description, "127.0.0.2")
        XCTAssertEqual(try SourceRange(parsing: "127.0.0.9").count, 1)
        XCTAssertThrowsError(try SourceRange(parsing: "127.0.0.9-127.0.0.1"))
    }
}
