import Foundation
import XCTest

@testable import WSBridgeConfig

final class DefaultConfigFileTests: XCTestCase {
    /// Run the tests with `WSBRIDGE_UPDATE_EXAMPLES=1` to rewrite examples/wsbridge.conf.
    func testTheCommittedExampleFileEqualsTheRendering() throws {
        let path = repositoryRoot.appendingPathComponent("examples/wsbridge.conf").path
        if ProcessInfo.processInfo.environment["WSBRIDGE_UPDATE_EXAMPLES"] == "1" {
            try ConfigRendering.defaultFile().write(toFile: path, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(
            committed, ConfigRendering.defaultFile(),
            "examples/wsbridge.conf is stale: run the tests once with WSBRIDGE_UPDATE_EXAMPLES=1")
    }

    func testTheRenderingMentionsEveryKeyWithItsSummary() {
        let rendered = ConfigRendering.defaultFile()
        for key in ConfigKey.allCases {
            XCTAssertTrue(rendered.contains("\n#\(key.rawValue) ="), key.rawValue)
            XCTAssertTrue(rendered.contains("# \(key.summary)"), key.rawValue)
        }
    }

    func testTheRenderingMarksExactlyTheReloadableKeys() {
        let rendered = ConfigRendering.defaultFile()
        for key in ConfigKey.allCases {
            XCTAssertEqual(rendered.contains("# \(key.summary) [reloadable]\n"), key.reloadable, key.rawValue)
        }
    }

    func testTheRenderingLoadsAsTheDefaults() {
        XCTAssertEqual(loaded(ConfigRendering.defaultFile()), WSBridgeConfiguration())
    }

    func testUncommentingEveryKeyStillGivesTheDefaults() {
        let uncommented = ConfigRendering.defaultFile()
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in
                ConfigKey.allCases.contains { line.hasPrefix("#\($0.rawValue) =") } ? String(line.dropFirst()) : String(line)
            }
            .joined(separator: "\n")
        XCTAssertEqual(ConfigLoader.evaluate(text: uncommented, source: testSource, overrides: []).errors, [])
        XCTAssertEqual(
            (try? ConfigLoader.parse(text: uncommented, source: testSource))?.count, ConfigKey.allCases.count)
        XCTAssertEqual(loaded(uncommented), WSBridgeConfiguration())
    }

    func testTheReferenceDocumentHasARowForEveryKey() throws {
        let path = repositoryRoot.appendingPathComponent("docs/configuration.md").path
        let document = try String(contentsOfFile: path, encoding: .utf8)
        for key in ConfigKey.allCases {
            let row = "| `\(key.rawValue)` | `\(key.flagName)` | `\(key.defaultText)` | \(key.reloadable ? "yes" : "no") |"
            XCTAssertTrue(document.contains(row), "docs/configuration.md lacks the row starting \(row)")
        }
    }
}
