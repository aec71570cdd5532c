import NIOCore
@testable import WSBridgeBroker
import XCTest

/// Where a durable publish goes on a Redis Cluster: one piece per stream, `users` cut into one envelope
/// per user, and what cannot be routed left to the library to refuse.
final class EnvelopeRoutingTests: XCTestCase {
    private func pieces(_ envelope: String, compat: String? = nil) -> [(String, String, String)]? {
        EnvelopeRouting.pieces(of: ByteBuffer(string: envelope), compatUserField: compat)?.map {
            ($0.stream, String(buffer: $0.envelope), $0.key)
        }
    }

    func testOneUserOrEveryoneIsOnePieceWithTheEnvelopeAsItIs() throws {
        let user = try XCTUnwrap(self.pieces(#"{"user":"alice","data":"hi"}"#))
        XCTAssertEqual(user.map(\.0), ["u:alice"])
        XCTAssertEqual(user.map(\.1), [#"{"user":"alice","data":"hi"}"#])
        XCTAssertEqual(user.map(\.2), ["wsb:{u:alice}:m"])
        XCTAssertEqual(self.pieces(#"{"all":true,"data":1}"#)?.map(\.0), ["all"])
        XCTAssertEqual(self.pieces(#"{"user":42,"data":1}"#)?.map(\.0), ["u:42"], "an integer id is its decimal text")
        XCTAssertEqual(self.pieces(#"{"user":"caf\u00e9","data":1}"#)?.map(\.0), ["u:café"], "escapes are decoded")
    }

    func testUsersAreCutIntoOneEnvelopePerDistinctUserKeepingTheOtherMembers() throws {
        let pieces = try XCTUnwrap(self.pieces(#"{"data":{"n":1},"users":["b",7,"b","7","a"],"binary":false,"wsr":"x y"}"#))
        XCTAssertEqual(pieces.map(\.0), ["u:b", "u:7", "u:a"], "in order, each once (7 and \"7\" are one user)")
        XCTAssertEqual(pieces[0].1, #"{"user":"b","data":{"n":1},"binary":false,"wsr":"x y"}"#)
        XCTAssertEqual(pieces[1].1, #"{"user":7,"data":{"n":1},"binary":false,"wsr":"x y"}"#)
        XCTAssertEqual(pieces[2].2, "wsb:{u:a}:m")
    }

    func testTheCompatibilityFieldRoutesOnlyWithoutANativeTarget() {
        XCTAssertEqual(self.pieces(#"{"userId":"bob","text":"x"}"#, compat: "userId")?.map(\.0), ["u:bob"])
        XCTAssertNil(self.pieces(#"{"userId":"bob","text":"x"}"#), "without the setting it has no target")
        XCTAssertEqual(self.pieces(#"{"user":"al","userId":"bob","data":1}"#, compat: "userId")?.map(\.0), ["u:al"])
    }

    func testWhatCannotBeRoutedIsLeftToTheLibrary() {
        for envelope in [
            "not json", "[1]", #"{"data":1}"#, #"{"user":"a","all":true,"data":1}"#, #"{"user":"","data":1}"#,
            #"{"user":1.5,"data":1}"#, #"{"users":[],"data":1}"#, #"{"users":"a","data":1}"#, #"{"all":false,"data":1}"#,
            #"{"users":["a",null],"data":1}"#,
        ] {
            XCTAssertNil(self.pieces(envelope), envelope)
        }
    }
}
