import XCTest

@testable import WSBridgeConfig

final class ConfigurationDefaultsTests: XCTestCase {
    func testDefaultsAreTheDocumentedValues() {
        let configuration = WSBridgeConfiguration()
        XCTAssertEqual(configuration.listen, ListenAddress(host: "127.0.0.1", port: 8080))
        XCTAssertEqual(configuration.wsPath, "/ws")
        XCTAssertEqual(configuration.adminListen, ListenAddress(host: "127.0.0.1", port: 9188))
        XCTAssertEqual(configuration.appSocket, "wsbridge-app.sock")
        XCTAssertEqual(configuration.maxFrameBytes, 1_048_576)
        XCTAssertEqual(configuration.appMaxQueueBytes, 4_194_304)
        XCTAssertEqual(configuration.connectTimeout, .seconds(5))
        XCTAssertEqual(configuration.appSocketMode, 0o660)
        XCTAssertNil(configuration.appAllowedUIDs)
        XCTAssertNil(configuration.redis)
        XCTAssertEqual(configuration.channel, "websocket:sendMsgTopic")
        XCTAssertNil(configuration.compatUserField)
        XCTAssertEqual(configuration.auth, .app)
        XCTAssertNil(configuration.jwtSecret)
        XCTAssertNil(configuration.jwtPublicKeyPEM)
        XCTAssertEqual(configuration.jwtLeeway, .seconds(30))
        XCTAssertEqual(configuration.allowedOrigins, .any)
        XCTAssertEqual(configuration.maxMessageBytes, 65_536)
        XCTAssertEqual(configuration.maxQueueBytes, 1_048_576)
        XCTAssertEqual(configuration.writeCoalesceWindow, .zero)
        XCTAssertEqual(configuration.maxConnections, 100_000)
        XCTAssertEqual(configuration.handshakeTimeout, .seconds(10))
        XCTAssertEqual(configuration.pingInterval, .seconds(25))
        XCTAssertEqual(configuration.idleTimeout, .seconds(60))
        XCTAssertEqual(configuration.closeTimeout, .seconds(3))
        XCTAssertEqual(configuration.drainTimeout, .seconds(10))
        XCTAssertEqual(configuration.eventLoops, 0)
        XCTAssertEqual(configuration.brokerReconnectMax, .milliseconds(250))
        XCTAssertEqual(configuration.brokerHealthInterval, .seconds(5))
        XCTAssertEqual(configuration.brokerProbeInterval, .seconds(5))
        XCTAssertEqual(configuration.historySize, 100)
        XCTAssertEqual(configuration.historyTTL, .seconds(300))
        XCTAssertEqual(configuration.historyMetaTTL, .seconds(3600))
        XCTAssertEqual(configuration.logLevel, .info)
        XCTAssertEqual(configuration.logFormat, .logfmt)
    }

    func testTheDefaultNodeIDIsTheHostName() {
        let hostName = NodeID.systemHostName()
        XCTAssertFalse(hostName.isEmpty)
        XCTAssertEqual(WSBridgeConfiguration().nodeID, NodeID.defaultValue(hostName: hostName))
        XCTAssertEqual(NodeID.defaultValue(hostName: "web-1.example"), "web-1.example")
    }

    func testAnUnusableHostNameIsMadeIntoAValidNodeID() {
        XCTAssertEqual(NodeID.defaultValue(hostName: "my host"), "my-host")
        XCTAssertEqual(NodeID.defaultValue(hostName: ""), "wsbridge")
        XCTAssertEqual(NodeID.defaultValue(hostName: String(repeating: "a", count: 100)).utf8.count, 64)
    }

    func testAnEmptyFileGivesTheDefaults() {
        XCTAssertEqual(loaded(""), WSBridgeConfiguration())
        XCTAssertEqual(loaded("# only a comment\n\n   \n"), WSBridgeConfiguration())
    }

    func testNoFileAndNoFlagsGiveTheDefaults() throws {
        XCTAssertEqual(try ConfigLoader.load(file: nil, overrides: []), WSBridgeConfiguration())
    }

    func testEveryDocumentedDefaultTextParsesToTheDefaultValue() {
        let text = ConfigKey.allCases.map { "\($0.rawValue) = \($0.fileDefault ?? "")" }.joined(separator: "\n")
        XCTAssertEqual(loaded(text), WSBridgeConfiguration())
    }

    func testKeysWithoutALiteralDefaultAreDocumentedInParentheses() {
        XCTAssertEqual(ConfigKey.nodeID.defaultText, "(host name)")
        XCTAssertEqual(ConfigKey.redis.defaultText, "(empty)")
        XCTAssertEqual(ConfigKey.maxMessageBytes.defaultText, "64KiB")
        XCTAssertEqual(ConfigKey.appSocketMode.defaultText, "0660")
        XCTAssertEqual(ConfigKey.appAllowedUIDs.defaultText, "(empty)")
    }
}
