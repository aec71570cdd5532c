import XCTest
final class BrokerPlaceholderTests: XCTestCase { func testNothingYet() {} }
