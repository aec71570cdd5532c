import XCTest

@testable import WSBridgeConfig

final class AdminListenTests: XCTestCase {
    func testTheAdminListenerDefaultsToLoopbackOnItsOwnPort() {
        let configuration = WSBridgeConfiguration()
        XCTAssertEqual(configuration.adminListen, ListenAddress(host: "127.0.0.1", port: 9188))
        XCTAssertNotEqual(configuration.adminListen?.port, configuration.listen.port)
    }

    func testAHostAndPortIsRead() {
        XCTAssertEqual(loaded("admin_listen = 0.0.0.0:9300")?.adminListen, ListenAddress(host: "0.0.0.0", port: 9300))
        XCTAssertEqual(loaded("admin_listen = [::1]:0")?.adminListen, ListenAddress(host: "::1", port: 0))
    }

    func testEmptyOrOffTurnsTheAdminListenerOff() {
        for text in ["admin_listen =", "admin_listen = off", "admin_listen = OFF"] {
            let configuration = loaded(text)
            XCTAssertNotNil(configuration, text)
            XCTAssertNil(configuration?.adminListen, text)
        }
        let flag = loaded("", overrides: [(key: .adminListen, value: "off")])
        XCTAssertNil(flag?.adminListen)
    }

    func testABadValueNamesTheLineAndTheKey() {
        assertSingleError(
            "\nadmin_listen = metrics", "test.conf:2: admin_listen: expected HOST:PORT (or [IPV6]:PORT), got \"metrics\"")
    }

    func testItMayNotBeThePublicAddress() {
        assertSingleError(
            "listen = 127.0.0.1:9000\nadmin_listen = 127.0.0.1:9000",
            "test.conf:2: admin_listen: must differ from listen (127.0.0.1:9000): metrics are not served on the public port")
        XCTAssertNotNil(loaded("listen = 127.0.0.1:0\nadmin_listen = 127.0.0.1:0"), "port 0 twice is two free ports")
    }

    func testOffIsWrittenBackAsOffAndLoadsAgain() {
        var configuration = WSBridgeConfiguration()
        configuration.adminListen = nil
        XCTAssertTrue(configuration.description.contains("\nadmin_listen = off\n"))
        XCTAssertEqual(loaded(configuration.description), configuration)
    }

    func testChangingItNeedsARestart() {
        XCTAssertFalse(ConfigKey.adminListen.reloadable)
        var changed = WSBridgeConfiguration()
        changed.adminListen = ListenAddress(host: "127.0.0.1", port: 9999)
        XCTAssertEqual(changed.changedKeys(comparedTo: WSBridgeConfiguration()), [.adminListen])
    }
}
