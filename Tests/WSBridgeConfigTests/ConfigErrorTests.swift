import XCTest

@testable import WSBridgeConfig

final class ConfigErrorTests: XCTestCase {
    func testAFileErrorShowsSourceLineKeyAndMessage() {
        let error = ConfigError(
            source: "/etc/wsbridge/wsbridge.conf", line: 12, key: "max_queue_bytes",
            message: "expected a size such as 1MiB, got \"lots\"")
        XCTAssertEqual(
            error.description,
            "/etc/wsbridge/wsbridge.conf:12: max_queue_bytes: expected a size such as 1MiB, got \"lots\"")
    }

    func testACommandLineErrorShowsTheFlag() {
        let error = ConfigError(source: ConfigError.commandLine, key: "listen", message: "expected HOST:PORT, got \"x\"")
        XCTAssertEqual(error.description, "command line: --listen: expected HOST:PORT, got \"x\"")
    }

    func testAnErrorWithoutKeyShowsSourceAndLine() {
        let error = ConfigError(source: "a.conf", line: 7, message: "unknown key \"lisen\"")
        XCTAssertEqual(error.description, "a.conf:7: unknown key \"lisen\"")
    }

    func testAnErrorWithoutLineOrKeyIsItsMessage() {
        let error = ConfigError(source: "/x/y.conf", message: "cannot read /x/y.conf: No such file or directory")
        XCTAssertEqual(error.description, "cannot read /x/y.conf: No such file or directory")
    }

    func testErrorsAreReportedFileFirstInLineOrder() {
        let errors = [
            ConfigError(source: ConfigError.commandLine, key: "listen", message: "c"),
            ConfigError(source: "f", line: 9, message: "b"),
            ConfigError(source: "f", key: "auth", message: "d"),
            ConfigError(source: "f", line: 2, message: "a"),
        ]
        XCTAssertEqual(ConfigError.sortedForReport(errors).map(\.message), ["a", "b", "d", "c"])
    }
}
