import XCTest

@testable import WSBridgeConfig

final class WriteCoalesceWindowTests: XCTestCase {
    func testTheWindowIsOffByDefault() {
        XCTAssertEqual(WSBridgeConfiguration().writeCoalesceWindow, .zero)
        XCTAssertEqual(loaded("")?.writeCoalesceWindow, .zero)
        XCTAssertEqual(ConfigKey.writeCoalesceWindow.defaultText, "0")
    }

    func testAWindowIsReadAsADuration() {
        XCTAssertEqual(loaded("write_coalesce_window = 20ms")?.writeCoalesceWindow, .milliseconds(20))
        XCTAssertEqual(loaded("write_coalesce_window = 1s")?.writeCoalesceWindow, .seconds(1))
        XCTAssertEqual(loaded("write_coalesce_window = 0")?.writeCoalesceWindow, .zero)
        XCTAssertEqual(loaded("write_coalesce_window = 0ms")?.writeCoalesceWindow, .zero)
    }

    func testTheFlagSetsTheWindow() {
        XCTAssertEqual(ConfigKey.writeCoalesceWindow.flagName, "--write-coalesce-window")
        let configuration = loaded("write_coalesce_window = 5ms", overrides: [(key: .writeCoalesceWindow, value: "50ms")])
        XCTAssertEqual(configuration?.writeCoalesceWindow, .milliseconds(50))
    }

    func testAWindowOverOneSecondIsRefused() {
        assertSingleError(
            "write_coalesce_window = 1001ms",
            #"test.conf:1: write_coalesce_window: must be from 0 (off) to 1s, got "1001ms""#)
        XCTAssertEqual(
            errorDescriptions("", overrides: [(key: .writeCoalesceWindow, value: "2m")]),
            [#"command line: --write-coalesce-window: must be from 0 (off) to 1s, got "2m""#])
    }

    func testAWindowThatIsNotADurationIsRefused() {
        assertSingleError(
            "write_coalesce_window = 20",
            #"test.conf:1: write_coalesce_window: expected a duration such as 25s or 500ms, got "20""#)
    }

    func testTheWindowIsReloadableAndShownInTheDescription() throws {
        XCTAssertTrue(ConfigKey.writeCoalesceWindow.reloadable)
        let configuration = try XCTUnwrap(loaded("write_coalesce_window = 250ms"))
        XCTAssertTrue(configuration.description.contains("\nwrite_coalesce_window = 250ms\n"))
        XCTAssertTrue(WSBridgeConfiguration().description.contains("\nwrite_coalesce_window = 0\n"))
        XCTAssertEqual(loaded(configuration.description), configuration)
        XCTAssertEqual(configuration.changedKeys(comparedTo: WSBridgeConfiguration()), [.writeCoalesceWindow])
    }
}
