import XCTest
final class EdgePlaceholderTests: XCTestCase { func testNothingYet() {} }
