import WSBridgeCore
import XCTest

final class QueryStringTests: XCTestCase {
    func testARequestTargetSplitsIntoPathAndQueryWithoutTheFragment() {
        let cases: [(uri: String, path: String, query: String)] = [
            ("/ws", "/ws", ""),
            ("/ws?", "/ws", ""),
            ("/ws?token=a&b=c", "/ws", "token=a&b=c"),
            ("/ws?a=1?b=2", "/ws", "a=1?b=2"),
            ("/ws#frag", "/ws", ""),
            ("/ws?a=1#frag?x", "/ws", "a=1"),
            ("/ws#?a=1", "/ws", ""),
            ("/wé?ü=1", "/wé", "ü=1"),
            ("", "", ""),
            ("?a", "", "a"),
            ("/ws?\u{301}a=1", "/ws", "\u{301}a=1"),
            ("/ws\u{301}?a", "/ws\u{301}", "a"),
            ("/ws?a#\u{301}b", "/ws", "a"),
        ]
        for (uri, path, query) in cases {
            let split = QueryString.split(uri: uri)
            XCTAssertEqual(split.path, path, uri)
            XCTAssertEqual(split.query, query, uri)
        }
    }

    func testParameterNamesAndValuesAreDecoded() {
        let parsed = QueryString.parse("user=al%69ce&x&a+b=c+d&&e=")
        XCTAssertEqual(parsed.map(\.name), ["user", "x", "a b", "e"])
        XCTAssertEqual(parsed.map(\.value), ["alice", "", "c d", ""])
    }
}
