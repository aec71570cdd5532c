import NIOCore
@testable import WSBridgeBroker
import XCTest

final class ReconnectBackoffTests: XCTestCase {
    func testTheFirstRetryIsImmediateThenCeilingsDoubleUpToTheCap() {
        var backoff = ReconnectBackoff(base: .milliseconds(50), cap: .milliseconds(300)) { $0 }
        let delays = (0..<7).map { _ in backoff.nextDelay().nanoseconds / 1_000_000 }
        XCTAssertEqual(delays, [0, 50, 100, 200, 300, 300, 300])
    }

    func testResetStartsOverWithAnImmediateRetry() {
        var backoff = ReconnectBackoff(cap: .seconds(5)) { $0 }
        _ = backoff.nextDelay()
        _ = backoff.nextDelay()
        backoff.reset()
        XCTAssertEqual(backoff.nextDelay(), .zero)
        XCTAssertEqual(backoff.nextDelay(), .milliseconds(50))
    }

    func testTheJitterStaysBetweenHalfTheCeilingAndTheCeiling() {
        var backoff = ReconnectBackoff(cap: .seconds(1))
        _ = backoff.nextDelay()
        for failures in 1..<40 {
            let ceiling = backoff.ceiling(afterFailures: failures)
            let delay = backoff.nextDelay()
            XCTAssertGreaterThanOrEqual(delay.nanoseconds, ceiling.nanoseconds / 2)
            XCTAssertLessThanOrEqual(delay, ceiling)
            XCTAssertLessThanOrEqual(ceiling, .seconds(1))
        }
    }

    func testWithTheDefaultCapALongOutageIsAskedAgainAtLeastEveryQuarterSecond() {
        var backoff = ReconnectBackoff(cap: .milliseconds(250))
        let delays = (0..<200).map { _ in backoff.nextDelay() }
        XCTAssertEqual(delays[0], .zero)
        XCTAssertTrue(delays.allSatisfy { $0 <= .milliseconds(250) }, "\(delays.max()!)")
        XCTAssertTrue(delays[10...].allSatisfy { $0 >= .milliseconds(125) }, "never a tight loop")
    }

    func testHugeFailureCountsDoNotOverflow() {
        let backoff = ReconnectBackoff(cap: .seconds(5))
        XCTAssertEqual(backoff.ceiling(afterFailures: 10_000), .seconds(5))
    }
}
