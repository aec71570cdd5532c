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
    while Date() < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    if try condition() { return true }
    XCTFail("timed out after \(timeout) s waiting for: \(description)", file: file, line: line)
    return false
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
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: 5_000_000)
    }
    if try await condition() { return true }
    XCTFail("timed out after \(timeout) s waiting for: \(description)", file: file, line: line)
    return false
}
