import WSBridgeCore
import XCTest

final class HeaderTokensTests: XCTestCase {
    func testAListNamesATokenInAnyCaseAndPlaceWithOptionalWhitespace() {
        XCTAssertTrue(HeaderTokens.lists("Upgrade", "upgrade"))
        XCTAssertTrue(HeaderTokens.lists("keep-alive, Upgrade", "upgrade"))
        XCTAssertTrue(HeaderTokens.lists("UPGRADE ,keep-alive", "upgrade"))
        XCTAssertTrue(HeaderTokens.lists("a,\tupgrade\t,b", "upgrade"))
        XCTAssertTrue(HeaderTokens.lists(",,upgrade,", "upgrade"))
    }

    func testOnlyAWholeElementCounts() {
        XCTAssertFalse(HeaderTokens.lists("", "upgrade"))
        XCTAssertFalse(HeaderTokens.lists("upgraded", "upgrade"))
        XCTAssertFalse(HeaderTokens.lists("keep-alive; upgrade", "upgrade"))
        XCTAssertFalse(HeaderTokens.lists("up grade", "upgrade"))
        XCTAssertFalse(HeaderTokens.lists("websocket2", "websocket"))
        // Only ASCII letters fold: "@" (0x40) and "`" (0x60) differ by the case bit and are not equal.
        XCTAssertFalse(HeaderTokens.lists("`", "@"))
    }

    func testTrimmingRemovesSpacesAndTabsAtTheEndsOnly() {
        XCTAssertEqual(String(decoding: HeaderTokens.trimmed(" \t13 ".utf8), as: UTF8.self), "13")
        XCTAssertEqual(String(decoding: HeaderTokens.trimmed("1 3".utf8), as: UTF8.self), "1 3")
        XCTAssertTrue(HeaderTokens.trimmed("  ".utf8).isEmpty)
        XCTAssertTrue(HeaderTokens.trimmed("".utf8).isEmpty)
    }

    func testHeaderNamesCompareWithoutCase() {
        XCTAssertTrue("Sec-WebSocket-Key".caseInsensitiveEquals("sec-websocket-key"))
        XCTAssertFalse("Sec-WebSocket-Key".caseInsensitiveEquals("sec-websocket-keys"))
        XCTAssertFalse("a[".caseInsensitiveEquals("a{"), "only letters fold")
    }
}
