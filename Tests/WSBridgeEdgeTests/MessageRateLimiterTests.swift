import NIOCore
import XCTest

@testable import WSBridgeEdge

final class MessageRateLimiterTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func testABurstOfOneSecondsWorthPassesAndTheNextWaitsForARefill() {
        var limiter = MessageRateLimiter()
        limiter.fill(perSecond: 10, now: start)
        for _ in 0..<10 { XCTAssertTrue(limiter.admit(perSecond: 10, now: start)) }
        XCTAssertFalse(limiter.admit(perSecond: 10, now: start), "the eleventh at once")
        XCTAssertFalse(limiter.admit(perSecond: 10, now: start + .milliseconds(50)), "half a token")
        XCTAssertTrue(limiter.admit(perSecond: 10, now: start + .milliseconds(100)), "one token after 1/10 s")
    }

    func testTheAverageRateIsKeptUpForever() {
        var limiter = MessageRateLimiter()
        limiter.fill(perSecond: 100, now: start)
        for step in 1...10_000 {
            XCTAssertTrue(limiter.admit(perSecond: 100, now: start + .milliseconds(Int64(step) * 10)), "step \(step)")
        }
    }

    func testAnIdleClientGetsNoMoreThanOneSecondsWorth() {
        var limiter = MessageRateLimiter()
        limiter.fill(perSecond: 5, now: start)
        let later = start + .seconds(60)
        for _ in 0..<5 { XCTAssertTrue(limiter.admit(perSecond: 5, now: later)) }
        XCTAssertFalse(limiter.admit(perSecond: 5, now: later))
    }
}
