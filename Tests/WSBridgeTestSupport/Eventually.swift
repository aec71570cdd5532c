import Foundation
import XCTest

/// Polls `condition` every 10 ms until it holds or `timeout` passes; fails the test on timeout. For a
/// test that waits for something to happen, in place of a sleep of a guessed length.
@discardableResult
public func eventually(
    _ description: String,
    timeout: TimeInterval = 5,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ condition: () throws -> Bool
) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < deadline else { return timedOut(description, after: timeout, file: file, line: line) }
        usleep(10_000)
    }
    return true
}

/// ``eventually(_:timeout:file:line:_:)`` for async tests: polls `condition` every 5 ms without
/// blocking a thread.
@discardableResult
public func eventually(
    _ description: String,
    timeout: TimeInterval = 5,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while try await !condition() {
        guard Date() < deadline else { return timedOut(description, after: timeout, file: file, line: line) }
        try? await Task.sleep(nanoseconds: 5_000_000)
    }
    return true
}

private func timedOut(_ description: String, after timeout: TimeInterval, file: StaticString, line: UInt) -> Bool {
    XCTFail("timed out after \(timeout) s waiting for: \(description)", file: file, line: line)
    return false
}
