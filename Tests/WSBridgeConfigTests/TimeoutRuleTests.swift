import XCTest

@testable import WSBridgeConfig

final class TimeoutRuleTests: XCTestCase {
    func testZeroTurnsPingsAndTheIdleTimeoutOff() {
        let configuration = loaded("ping_interval = 0\nidle_timeout = 0s")
        XCTAssertNil(configuration?.pingInterval)
        XCTAssertNil(configuration?.idleTimeout)
    }

    func testTheIdleTimeoutMustExceedThePingInterval() {
        assertSingleError(
            "ping_interval = 30s\nidle_timeout = 30s",
            "test.conf:2: idle_timeout: must be longer than ping_interval (30s), got 30s; or set ping_interval = 0")
        assertSingleError(
            "idle_timeout = 20s",
            "test.conf:1: idle_timeout: must be longer than ping_interval (25s), got 20s; or set ping_interval = 0")
    }

    func testAPingIntervalAboveTheDefaultIdleTimeoutIsBlamedOnThePingInterval() {
        assertSingleError(
            "ping_interval = 2m",
            "test.conf:1: ping_interval: must be shorter than idle_timeout (1m), got 2m; or set idle_timeout = 0")
    }

    func testTheRuleDoesNotApplyWhenEitherIsOff() {
        XCTAssertEqual(loaded("ping_interval = 2m\nidle_timeout = 0")?.pingInterval, .seconds(120))
        XCTAssertEqual(loaded("ping_interval = 0\nidle_timeout = 5s")?.idleTimeout, .seconds(5))
    }

    func testTheRuleSeesTheFlagsValues() {
        XCTAssertEqual(
            errorDescriptions("ping_interval = 10s", overrides: [(key: .idleTimeout, value: "5s")]),
            ["command line: --idle-timeout: must be longer than ping_interval (10s), got 5s; or set ping_interval = 0"])
        XCTAssertNotNil(loaded("idle_timeout = 20s", overrides: [(key: .pingInterval, value: "10s")]))
    }

    func testAnInvalidPingIntervalIsReportedOnlyOnce() {
        assertSingleError(
            "ping_interval = often\nidle_timeout = 10s",
            "test.conf:1: ping_interval: expected a duration such as 25s or 500ms, got \"often\"")
    }

    func testHandshakeAndCloseTimeoutsMustBePositive() {
        XCTAssertEqual(loaded("handshake_timeout = 500ms\nconnect_timeout = 400ms")?.handshakeTimeout, .milliseconds(500))
        XCTAssertEqual(loaded("close_timeout = 1s")?.closeTimeout, .seconds(1))
        XCTAssertEqual(loaded("drain_timeout = 30s")?.drainTimeout, .seconds(30))
        assertSingleError("drain_timeout = 0s", "test.conf:1: drain_timeout: must be longer than 0, got \"0s\"")
        assertSingleError("handshake_timeout = 0", "test.conf:1: handshake_timeout: must be longer than 0, got \"0\"")
        assertSingleError("close_timeout = 0ms", "test.conf:1: close_timeout: must be longer than 0, got \"0ms\"")
    }

    func testTheBrokerReconnectCapIsFromTenMillisecondsToTenSeconds() {
        XCTAssertEqual(loaded("broker_reconnect_max = 10ms")?.brokerReconnectMax, .milliseconds(10))
        XCTAssertEqual(loaded("broker_reconnect_max = 10s")?.brokerReconnectMax, .seconds(10))
        assertSingleError(
            "broker_reconnect_max = 9ms", "test.conf:1: broker_reconnect_max: must be from 10ms to 10s, got \"9ms\"")
        assertSingleError(
            "broker_reconnect_max = 11s", "test.conf:1: broker_reconnect_max: must be from 10ms to 10s, got \"11s\"")
    }

    func testTheProbeIntervalIsOffOrFromATenthOfASecondToAnHour() {
        XCTAssertNil(loaded("broker_probe_interval = 0")!.brokerProbeInterval)
        XCTAssertEqual(loaded("broker_probe_interval = 100ms")?.brokerProbeInterval, .milliseconds(100))
        assertSingleError(
            "broker_probe_interval = 50ms", "test.conf:1: broker_probe_interval: must be 0 (off) or from 100ms to 1h, got \"50ms\"")
    }

    func testTheHistorySettingsHaveBounds() {
        XCTAssertEqual(loaded("history_size = 1")?.historySize, 1)
        XCTAssertEqual(loaded("history_size = 100000")?.historySize, 100_000)
        assertSingleError("history_size = 0", "test.conf:1: history_size: must be from 1 to 100000 messages, got \"0\"")
        assertSingleError("history_ttl = 500ms", "test.conf:1: history_ttl: must be from 1s to 720h (30 days), got \"500ms\"")
        assertSingleError(
            "history_meta_ttl = 721h", "test.conf:1: history_meta_ttl: must be from 1s to 720h (30 days), got \"721h\"")
        XCTAssertEqual(loaded("history_ttl = 2h\nhistory_meta_ttl = 2h")?.historyMetaTTL, .seconds(7200))
    }

    func testThePositionMustOutliveTheHistory() {
        assertSingleError(
            "history_ttl = 2h\nhistory_meta_ttl = 1h",
            "test.conf:2: history_meta_ttl: must be at least history_ttl (2h), got 1h")
    }

    func testTheBrokerHealthIntervalIsOffOrFromATenthOfASecondToAnHour() {
        XCTAssertNil(loaded("broker_health_interval = 0")?.brokerHealthInterval)
        XCTAssertEqual(loaded("broker_health_interval = 100ms")?.brokerHealthInterval, .milliseconds(100))
        XCTAssertEqual(loaded("broker_health_interval = 1h")?.brokerHealthInterval, .seconds(3600))
        XCTAssertEqual(
            loaded("", overrides: [(key: .brokerHealthInterval, value: "2s")])?.brokerHealthInterval, .seconds(2))
        assertSingleError(
            "broker_health_interval = 50ms",
            "test.conf:1: broker_health_interval: must be 0 (off) or from 100ms to 1h, got \"50ms\"")
        assertSingleError(
            "broker_health_interval = 2h",
            "test.conf:1: broker_health_interval: must be 0 (off) or from 100ms to 1h, got \"2h\"")
    }
}
