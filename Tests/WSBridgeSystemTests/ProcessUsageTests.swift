import WSBridgeSystem
import XCTest

final class ProcessUsageTests: XCTestCase {
    func testTheStatFieldsAreCountedFromTheLastParenthesis() throws {
        // A command name with spaces and a ")" in it, as proc(5) allows; utime 250, stime 150 ticks,
        // vsize 1 GiB, rss 2,560 pages.
        let stat = "4242 (wsb (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 3 0 12345 1073741824 2560 18446744073709551615"
        let usage = try XCTUnwrap(ProcessUsage.parse(stat: stat, ticksPerSecond: 100, pageSize: 4096))
        XCTAssertEqual(usage, ProcessUsage(cpuSeconds: 4.0, residentBytes: 2560 * 4096, virtualBytes: 1 << 30))
    }

    func testATruncatedStatIsNotParsed() {
        XCTAssertNil(ProcessUsage.parse(stat: "1 (a) S 1 2 3", ticksPerSecond: 100, pageSize: 4096))
        XCTAssertNil(ProcessUsage.parse(stat: "no parenthesis", ticksPerSecond: 100, pageSize: 4096))
    }

    func testThisProcessHasCPUTimeAndResidentMemory() throws {
        let usage = try XCTUnwrap(ProcessUsage.current())
        XCTAssertGreaterThan(usage.residentBytes, 1 << 20)
        XCTAssertGreaterThanOrEqual(usage.virtualBytes, usage.residentBytes)
        XCTAssertGreaterThanOrEqual(usage.cpuSeconds, 0)
    }
}
