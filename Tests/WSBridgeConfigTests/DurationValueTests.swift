import XCTest

@testable import WSBridgeConfig

final class DurationValueTests: XCTestCase {
    func testEveryUnitIsRead() throws {
        XCTAssertEqual(try ConfigValue.duration("500ms"), .milliseconds(500))
        XCTAssertEqual(try ConfigValue.duration("25s"), .seconds(25))
        XCTAssertEqual(try ConfigValue.duration("5m"), .seconds(300))
        XCTAssertEqual(try ConfigValue.duration("2h"), .seconds(7200))
    }

    func testZeroMayBeWrittenWithoutAUnit() throws {
        XCTAssertEqual(try ConfigValue.duration("0"), .zero)
        XCTAssertEqual(try ConfigValue.duration("0s"), .zero)
    }

    func testMalformedDurationsAreRejectedWithAnExample() {
        for text in ["", "25", "s", "1.5s", "-1s", "+1s", "10 s", "10sec", "1d", "5S", "１s"] {
            XCTAssertEqual(
                valueError(ConfigValue.duration, text),
                "expected a duration such as 25s or 500ms, got \(text.debugDescription)", text)
        }
    }

    func testAnOverlongDurationIsRejected() {
        XCTAssertEqual(
            valueError(ConfigValue.duration, "99999999999999999h"), "duration \"99999999999999999h\" is too long")
        XCTAssertNotNil(valueError(ConfigValue.duration, "99999999999999999999999s"))
    }

    func testDurationsAreFormattedInTheirShortestExactUnit() {
        XCTAssertEqual(ConfigValue.format(.milliseconds(500)), "500ms")
        XCTAssertEqual(ConfigValue.format(.milliseconds(1500)), "1500ms")
        XCTAssertEqual(ConfigValue.format(.seconds(90)), "90s")
        XCTAssertEqual(ConfigValue.format(.seconds(120)), "2m")
        XCTAssertEqual(ConfigValue.format(.seconds(3600)), "1h")
        XCTAssertEqual(ConfigValue.format(.zero), "0s")
    }

    func testADurationKeyRejectsABadValueWithItsLine() {
        assertSingleError(
            "\njwt_leeway = soon\n", "test.conf:2: jwt_leeway: expected a duration such as 25s or 500ms, got \"soon\"")
    }
}
