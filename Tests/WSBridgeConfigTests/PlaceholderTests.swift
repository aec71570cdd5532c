import XCTest
final class ConfigPlaceholderTests: XCTestCase { func testNothingYet() {} }
