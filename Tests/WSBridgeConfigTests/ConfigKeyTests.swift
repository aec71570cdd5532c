import XCTest

@testable import WSBridgeConfig

final class ConfigKeyTests: XCTestCase {
    func testFlagNamesUseDashes() {
        XCTAssertEqual(ConfigKey.maxQueueBytes.flagName, "--max-queue-bytes")
        XCTAssertEqual(ConfigKey.listen.flagName, "--listen")
        XCTAssertEqual(ConfigKey.jwtPublicKeyFile.flagName, "--jwt-public-key-file")
    }

    func testAKeyIsFoundByItsFlagName() {
        for key in ConfigKey.allCases {
            XCTAssertEqual(ConfigKey(flagName: key.flagName), key)
        }
        XCTAssertEqual(ConfigKey(flagName: "node-id"), .nodeID)
        XCTAssertNil(ConfigKey(flagName: "--node_id"))
        XCTAssertNil(ConfigKey(flagName: "--nope"))
    }

    func testTheAppSocketKeysFollowAppSocket() {
        let names = ConfigKey.allCases.map(\.rawValue)
        XCTAssertEqual(
            names.drop { $0 != "app_socket" }.prefix(6),
            ["app_socket", "max_frame_bytes", "app_max_queue_bytes", "connect_timeout", "app_socket_mode", "app_allowed_uids"])
    }

    func testExactlyTheLiveSettingsAreReloadable() {
        let reloadable = Set(ConfigKey.allCases.filter(\.reloadable).map(\.rawValue))
        XCTAssertEqual(
            reloadable,
            [
                "log_level", "log_user", "allowed_origins", "trusted_proxies", "max_message_bytes", "max_message_fragments", "max_request_head_bytes", "max_client_messages_per_second", "max_queue_bytes", "write_coalesce_window", "max_connections", "max_connections_per_user", "permessage_deflate", "deflate_min_bytes",
                "handshake_timeout", "ping_interval", "idle_timeout", "close_timeout", "drain_timeout",
                "jwt_secret", "jwt_secret_file", "jwt_public_key_file", "jwt_jwks_file", "jwt_leeway",
                "jwt_require_exp", "jwt_issuer", "jwt_audience", "app_max_queue_bytes", "connect_timeout", "app_allowed_uids",
                "tls_cert", "tls_key",
            ])
    }

    func testEveryKeyHasASingleLineSummary() {
        for key in ConfigKey.allCases {
            XCTAssertFalse(key.summary.isEmpty, key.rawValue)
            XCTAssertFalse(key.summary.contains("\n"), key.rawValue)
        }
    }

    func testAMisspeltKeyGetsTheNearestSuggestion() {
        XCTAssertEqual(ConfigKey.suggestion(for: "lisen"), .listen)
        XCTAssertEqual(ConfigKey.suggestion(for: "max_queue_byte"), .maxQueueBytes)
        XCTAssertEqual(ConfigKey.suggestion(for: "chanel"), .channel)
        XCTAssertEqual(ConfigKey.suggestion(for: "jwt-public-key-file"), .jwtPublicKeyFile)
        XCTAssertEqual(ConfigKey.suggestion(for: "LOG_LEVEL"), .logLevel)
        XCTAssertNil(ConfigKey.suggestion(for: "completely_different"))
        XCTAssertNil(ConfigKey.suggestion(for: "lsn"))
    }

    func testEditDistanceCountsInsertionsDeletionsAndSubstitutions() {
        XCTAssertEqual(ConfigKey.editDistance("kitten", "sitting", limit: 5), 3)
        XCTAssertEqual(ConfigKey.editDistance("", "abc", limit: 5), 3)
        XCTAssertEqual(ConfigKey.editDistance("abc", "abc", limit: 2), 0)
        XCTAssertEqual(ConfigKey.editDistance("abcdef", "uvwxyz", limit: 2), 3)
    }
}

final class TLSSettingsTests: XCTestCase {
    func testACertificateNeedsItsKeyAndBothFilesAreRead() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wsb-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = directory.appendingPathComponent("c.pem").path
        let key = directory.appendingPathComponent("k.pem").path
        try "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n".write(toFile: certificate, atomically: true, encoding: .utf8)
        try "no pem here\n".write(toFile: key, atomically: true, encoding: .utf8)

        XCTAssertEqual(try ConfigLoader.load(text: "tls_cert =\ntls_key =\n", source: "test.conf").tlsCert, nil, "empty is plain ws://")
        XCTAssertThrowsError(try ConfigLoader.load(text: "tls_cert = \(certificate)\n", source: "test.conf")) { error in
            XCTAssertTrue("\(error)".contains("tls_cert: needs tls_key"), "\(error)")
        }
        XCTAssertThrowsError(try ConfigLoader.load(text: "tls_key = \(key)\n", source: "test.conf")) { error in
            XCTAssertTrue("\(error)".contains("tls_key: needs tls_cert"), "\(error)")
        }
        XCTAssertThrowsError(try ConfigLoader.load(text: "tls_cert = \(certificate)\ntls_key = \(key)\n", source: "test.conf")) { error in
            XCTAssertTrue("\(error)".contains("tls_key: \(key) holds no PEM block (-----BEGIN PRIVATE KEY-----)"), "\(error)")
        }
        XCTAssertThrowsError(try ConfigLoader.load(text: "tls_cert = \(certificate)\ntls_key = \(directory.path)/nope\n", source: "test.conf")) { error in
            XCTAssertTrue("\(error)".contains("cannot read \(directory.path)/nope: No such file or directory"), "\(error)")
        }
        try "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n".write(toFile: key, atomically: true, encoding: .utf8)
        let loaded = try ConfigLoader.load(text: "tls_cert = \(certificate)\ntls_key = \(key)\n", source: "test.conf")
        XCTAssertEqual(loaded.tlsCert, certificate)
        XCTAssertEqual(loaded.tlsKey, key)
    }
}
