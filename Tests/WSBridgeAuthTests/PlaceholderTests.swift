import XCTest
final class AuthPlaceholderTests: XCTestCase { func testNothingYet() {} }
