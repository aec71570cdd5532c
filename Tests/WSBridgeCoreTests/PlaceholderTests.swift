import XCTest
final class CorePlaceholderTests: XCTestCase { func testNothingYet() {} }
