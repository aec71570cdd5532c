import Logging
import NIOConcurrencyHelpers
import NIOCore
import XCTest

@testable import WSBridgeCore

final class RateLimitedLogTests: XCTestCase {
    /// A log handler that keeps (level, message, metadata) of every event.
    private struct Recorder: LogHandler {
        let events: NIOLockedValueBox<[(Logger.Level, String, Logger.Metadata)]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            self.events.withLockedValue { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
        }
    }

    func testARepeatingProblemIsLoggedOncePerIntervalWithTheCountSuppressed() {
        let events = NIOLockedValueBox<[(Logger.Level, String, Logger.Metadata)]>([])
        var logger = Logger(label: "test") { _ in Recorder(events: events) }
        logger.logLevel = .info
        let log = RateLimitedLog(interval: .seconds(10))
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        for second in 0..<25 {
            log.log("app request failed", level: .notice, metadata: ["wsb.code": "invalid_json"], to: logger,
                    now: start + .seconds(Int64(second)))
        }
        let logged = events.withLockedValue { $0 }
        XCTAssertEqual(logged.map(\.0), [.notice, .notice, .notice])
        XCTAssertEqual(logged.map { $0.2["wsb.suppressed"].map { "\($0)" } }, ["0", "9", "9"])
        XCTAssertTrue(logged.allSatisfy { $0.1 == "app request failed" && $0.2["wsb.code"] == "invalid_json" })
    }

    func testAtDebugEveryOccurrenceStillShows() {
        let events = NIOLockedValueBox<[(Logger.Level, String, Logger.Metadata)]>([])
        var logger = Logger(label: "test") { _ in Recorder(events: events) }
        logger.logLevel = .debug
        let log = RateLimitedLog(interval: .seconds(10))
        for _ in 0..<5 {
            log.log("closing slow consumer", level: .info, metadata: [:], to: logger, now: .uptimeNanoseconds(0))
        }
        XCTAssertEqual(events.withLockedValue { $0.map(\.0) }, [.info, .debug, .debug, .debug, .debug])
    }
}
