import WSBridgeConfig
import XCTest

final class ConfigurationChangesTests: XCTestCase {
    func testNoChangesBetweenEqualConfigurations() {
        XCTAssertEqual(WSBridgeConfiguration().changedKeys(comparedTo: WSBridgeConfiguration()), [])
    }

    func testChangedKeysAreListedInDocumentationOrder() throws {
        let old = WSBridgeConfiguration()
        var new = old
        new.logLevel = .debug
        new.listen = ListenAddress(host: "0.0.0.0", port: 9000)
        new.allowedOrigins = .only(["https://a.example"])
        new.redis = RedisEndpoint(address: .tcp(host: "127.0.0.1", port: 6379), password: "pw")
        XCTAssertEqual(new.changedKeys(comparedTo: old), [.listen, .redis, .allowedOrigins, .logLevel])
    }

    func testAChangedSecretIsAChange() {
        let old = WSBridgeConfiguration()
        var new = old
        new.jwtSecret = Array("0123456789abcdef0123456789abcdef".utf8)
        XCTAssertTrue(new.changedKeys(comparedTo: old).contains(.jwtSecret))
    }
}
