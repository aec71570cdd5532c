import XCTest

@testable import WSBridgeConfig

final class ConfigurationDescriptionTests: XCTestCase {
    func testTheDescriptionLoadsBackToAnEqualConfiguration() {
        let text = """
            listen = [::1]:9000
            ws_path = /push
            max_frame_bytes = 2MiB
            app_max_queue_bytes = 100000
            connect_timeout = 1500ms
            app_socket_mode = 600
            app_allowed_uids = root, 1000, 33
            redis = unix:///run/redis.sock?db=3
            channel = "topic # one"
            compat_user_field = userId
            node_id = web-1
            auth = insecure-query
            allowed_origins = https://b.example, http://a.example:8080
            max_message_bytes = 1000
            max_queue_bytes = 3MiB
            write_coalesce_window = 20ms
            ping_interval = 0
            idle_timeout = 90s
            event_loops = 4
            broker_reconnect_max = 1500ms
            log_level = debug
            log_format = json
            """
        guard let configuration = loaded(text) else { return }
        XCTAssertEqual(loaded(configuration.description), configuration)
        XCTAssertEqual(loaded(WSBridgeConfiguration().description), WSBridgeConfiguration())
    }

    func testTheDescriptionShowsNoSecret() {
        let secret = "0123456789abcdef0123456789abcdef"
        let text = "redis = redis://:hunter2-password@cache:6379/0\njwt_secret = \(secret)"
        guard let description = loaded(text)?.description else { return }
        XCTAssertFalse(description.contains("hunter2-password"))
        XCTAssertFalse(description.contains(secret))
        XCTAssertTrue(description.contains("redis = redis://:***@cache:6379/0"))
        XCTAssertTrue(description.contains("# jwt_secret: set (32 bytes, not shown)"))
    }

    func testAStandaloneRedisURLIsReportedAsTheRedisFlag() {
        XCTAssertEqual(
            try RedisEndpoint(url: "redis://cache:6380/1"), RedisEndpoint(address: .tcp(host: "cache", port: 6380), db: 1))
        XCTAssertThrowsError(try RedisEndpoint(url: "redis://cache:0")) { error in
            XCTAssertEqual("\(error)", "command line: --redis: port must be a number from 1 to 65535, got \"0\"")
        }
    }
}
