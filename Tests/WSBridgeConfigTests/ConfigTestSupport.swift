import Foundation
import XCTest

@testable import WSBridgeConfig

/// The source name the tests give to config text.
let testSource = "test.conf"

/// Every error of `text` plus `overrides`, as `check-config` would print them.
func errorDescriptions(_ text: String, overrides: [ConfigLoader.Override] = []) -> [String] {
    ConfigLoader.evaluate(text: text, source: testSource, overrides: overrides).errors.map(\.description)
}

/// Loads `text`, failing the test (and returning `nil`) on any error.
func loaded(
    _ text: String, overrides: [ConfigLoader.Override] = [], file: StaticString = #filePath, line: UInt = #line
) -> WSBridgeConfiguration? {
    do {
        return try ConfigLoader.load(text: text, source: testSource, overrides: overrides)
    } catch {
        XCTFail("unexpected error: \(error)", file: file, line: line)
        return nil
    }
}

/// Asserts that loading `text` fails with exactly one error, rendered as `expected`.
func assertSingleError(
    _ text: String, overrides: [ConfigLoader.Override] = [], _ expected: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(errorDescriptions(text, overrides: overrides), [expected], file: file, line: line)
}

/// The value error of a reader such as `ConfigValue.size`, or `nil` if it accepted the text.
func valueError<T>(_ read: (String) throws(ConfigValueError) -> T, _ text: String) -> String? {
    do {
        _ = try read(text)
        return nil
    } catch {
        return error.message
    }
}

/// A fresh directory under the system's temporary directory, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/wsbridge-config-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    /// Writes `contents` to `name` inside the directory and returns the file's path.
    @discardableResult
    func write(_ name: String, _ contents: String, permissions: Int = 0o600) throws -> String {
        let file = path + "/" + name
        try Data(contents.utf8).write(to: URL(fileURLWithPath: file))
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: file)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The repository's root directory, found from this source file's path.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()
