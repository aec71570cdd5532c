import NIOEmbedded
import XCTest

extension XCTestCase {
    /// Ends the test by closing `channel` (unless it is closed already) and checking that it finishes
    /// clean, as SwiftNIO's handler tests do: everything the handlers wrote was read by the test, and
    /// nothing is left inbound. Harnesses call it once for every channel they make.
    public func finishesClean(_ channel: EmbeddedChannel, file: StaticString = #filePath, line: UInt = #line) {
        self.addTeardownBlock {
            do {
                let leftOvers = try channel.finish(acceptAlreadyClosed: true)
                XCTAssertTrue(leftOvers.isClean, "the channel did not finish clean: \(leftOvers)", file: file, line: line)
            } catch {
                XCTFail("finishing the channel failed: \(error)", file: file, line: line)
            }
        }
    }
}
