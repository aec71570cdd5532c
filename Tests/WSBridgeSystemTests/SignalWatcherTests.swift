import Glibc
import WSBridgeSystem
import XCTest

final class SignalWatcherTests: XCTestCase {
    /// A signal sent the moment `signals()` returns is delivered, not lost: the daemon relies on it for a
    /// SIGTERM that comes while it starts. A second one, sent after the first was seen, is delivered too
    /// (two sent at once may merge into one: the kernel does not queue standard signals). Only SIGHUP is
    /// watched, so the test runner keeps its own SIGTERM and SIGINT.
    func testASignalSentRightAfterWatchingStartsIsDelivered() async throws {
        let signals = try SignalWatcher.signals([.hangup])
        XCTAssertEqual(kill(getpid(), SIGHUP), 0)
        let received = Task {
            var seen: [DaemonSignal] = []
            for await signal in signals {
                seen.append(signal)
                if seen.count == 1 { XCTAssertEqual(kill(getpid(), SIGHUP), 0) }
                if seen.count == 2 { break }
            }
            return seen
        }
        let timeout = Task {
            try await Task.sleep(for: .seconds(20))
            received.cancel()
        }
        let seen = await received.value
        timeout.cancel()
        XCTAssertEqual(seen, [.hangup, .hangup])
    }
}
