import XCTest
final class DaemonPlaceholderTests: XCTestCase { func testNothingYet() {} }
