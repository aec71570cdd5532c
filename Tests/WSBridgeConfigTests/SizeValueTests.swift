import XCTest

@testable import WSBridgeConfig

final class SizeValueTests: XCTestCase {
    func testABareNumberIsBytes() throws {
        XCTAssertEqual(try ConfigValue.size("125"), 125)
        XCTAssertEqual(try ConfigValue.size("0"), 0)
        XCTAssertEqual(try ConfigValue.size("10B"), 10)
    }

    func testEveryUnitIsBinary() throws {
        for unit in ["KiB", "K", "KB", "kib", "k"] {
            XCTAssertEqual(try ConfigValue.size("4\(unit)"), 4096, unit)
        }
        for unit in ["MiB", "M", "MB", "mb"] {
            XCTAssertEqual(try ConfigValue.size("1\(unit)"), 1 << 20, unit)
        }
        for unit in ["GiB", "G", "GB"] {
            XCTAssertEqual(try ConfigValue.size("2\(unit)"), 2 << 30, unit)
        }
    }

    func testMalformedSizesAreRejectedWithAnExample() {
        for text in ["", "lots", "MiB", "1.5MiB", "-1", "1 MiB", "1TiB", "1Mi", "1e6"] {
            XCTAssertEqual(
                valueError(ConfigValue.size, text), "expected a size such as 1MiB, got \(text.debugDescription)", text)
        }
    }

    func testAnOverflowingSizeIsRejected() {
        XCTAssertEqual(valueError(ConfigValue.size, "9999999999999GiB"), "size \"9999999999999GiB\" is too large")
    }

    func testSizesAreFormattedInTheirLargestExactUnit() {
        XCTAssertEqual(ConfigValue.format(bytes: 65536), "64KiB")
        XCTAssertEqual(ConfigValue.format(bytes: 1 << 20), "1MiB")
        XCTAssertEqual(ConfigValue.format(bytes: 3 << 30), "3GiB")
        XCTAssertEqual(ConfigValue.format(bytes: 125), "125")
        XCTAssertEqual(ConfigValue.format(bytes: 0), "0")
    }

    func testASizeKeyNamesTheFileLineAndKeyOnABadValue() {
        assertSingleError(
            "listen = 127.0.0.1:9000\nmax_queue_bytes = lots\n",
            "test.conf:2: max_queue_bytes: expected a size such as 1MiB, got \"lots\"")
    }

    func testMessageSizeLimitsAreEnforced() {
        XCTAssertEqual(loaded("max_message_bytes = 125")?.maxMessageBytes, 125)
        XCTAssertEqual(loaded("max_message_bytes = 64MiB")?.maxMessageBytes, 64 << 20)
        assertSingleError(
            "max_message_bytes = 124", "test.conf:1: max_message_bytes: must be from 125 to 64MiB, got \"124\"")
        assertSingleError(
            "max_message_bytes = 65MiB", "test.conf:1: max_message_bytes: must be from 125 to 64MiB, got \"65MiB\"")
    }

    func testTheQueueMustHoldAtLeastFourKibibytes() {
        XCTAssertEqual(loaded("max_queue_bytes = 4K")?.maxQueueBytes, 4096)
        XCTAssertEqual(loaded("max_queue_bytes = 2GiB")?.maxQueueBytes, 2 << 30)
        assertSingleError(
            "max_queue_bytes = 4095", "test.conf:1: max_queue_bytes: must be at least 4KiB, got \"4095\"")
    }

    func testTheRequestHeadLimitIsFromOneKibibyteToOneMebibyte() {
        XCTAssertEqual(loaded("")?.maxRequestHeadBytes, 80 << 10)
        XCTAssertEqual(loaded("max_request_head_bytes = 1KiB")?.maxRequestHeadBytes, 1024)
        XCTAssertEqual(loaded("max_request_head_bytes = 1MiB")?.maxRequestHeadBytes, 1 << 20)
        assertSingleError(
            "max_request_head_bytes = 1023", "test.conf:1: max_request_head_bytes: must be from 1KiB to 1MiB, got \"1023\"")
    }
}
