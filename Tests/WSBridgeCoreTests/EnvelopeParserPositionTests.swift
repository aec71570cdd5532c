import NIOCore
import WSBridgeCore
import XCTest

/// Durable messages: the `wsb` member the brokers put first, and the raw `data` text.
final class EnvelopeParserPositionTests: XCTestCase {
    private func parse(_ text: String, _ parser: EnvelopeParser = EnvelopeParser()) -> Result<Envelope, EnvelopeError> {
        parser.parse(ByteBuffer(string: text))
    }

    private func envelope(_ text: String, _ parser: EnvelopeParser = EnvelopeParser(), file: StaticString = #filePath, line: UInt = #line) throws -> Envelope {
        try self.parse(text, parser).get()
    }

    func testAUserMessageHasOnePosition() throws {
        let parsed = try self.envelope(#"{"wsb":"e1-7","user":"A","data":"hi"}"#)
        XCTAssertEqual(parsed.target, .user("A"))
        XCTAssertEqual(parsed.positions, [StreamPosition(epoch: "e1", offset: 7)])
        XCTAssertEqual(String(buffer: parsed.payload), "hi")
    }

    func testAUsersMessageHasOnePositionPerDeduplicatedUser() throws {
        let parsed = try self.envelope(#"{"wsb":"a-1,b-2","users":["A",42,"A","42"],"data":1}"#)
        XCTAssertEqual(parsed.target, .users(["A", "42"]))
        XCTAssertEqual(parsed.positions, [StreamPosition(epoch: "a", offset: 1), StreamPosition(epoch: "b", offset: 2)])
    }

    func testTheNumberOfPositionsMustMatchTheStreams() {
        XCTAssertEqual(self.code(#"{"wsb":"a-1","users":["A","B"],"data":1}"#), .badPosition)
        XCTAssertEqual(self.code(#"{"wsb":"a-1,b-1","all":true,"data":1}"#), .badPosition)
    }

    func testMalformedPositionsAreRefused() {
        for wsb in [#""a1""#, #""a-1,""#, #""""#, "17", #""A-1""#, #""a\u002d1""#] {
            XCTAssertEqual(self.code(#"{"wsb":\#(wsb),"user":"A","data":1}"#), .badPosition, wsb)
        }
        XCTAssertEqual(self.code(#"{"wsb":"a-1","wsb":"a-2","user":"A","data":1}"#), .badPosition, "twice")
    }

    func testAMessageWithoutPositionsIsBestEffort() throws {
        XCTAssertEqual(try self.envelope(#"{"all":true,"data":"x"}"#).positions, [])
    }

    func testRawDataIsTheValueAsPublished() throws {
        XCTAssertEqual(String(buffer: try self.envelope(#"{"user":"A","data":"a\"b"}"#).data), #""a\"b""#)
        XCTAssertEqual(String(buffer: try self.envelope(#"{"user":"A","data": {"n": 1} }"#).data), #"{"n": 1}"#)
        let binary = try self.envelope(#"{"user":"A","binary":true,"data":"AAEC"}"#)
        XCTAssertEqual(String(buffer: binary.data), #""AAEC""#)
        XCTAssertEqual(Array(binary.payload.readableBytesView), [0, 1, 2])
    }

    func testADurableSeedMessageIsDeliveredWithoutThePositionMember() throws {
        let compat = EnvelopeParser(compatUserField: "userId")
        let parsed = try self.envelope(#"{"wsb":"e-3","userId":42,"msg":"hi"}"#, compat)
        XCTAssertEqual(parsed.target, .user("42"))
        XCTAssertEqual(parsed.positions, [StreamPosition(epoch: "e", offset: 3)])
        XCTAssertEqual(String(buffer: parsed.payload), #"{"userId":42,"msg":"hi"}"#, "exactly as the seed's publisher wrote it")
        XCTAssertEqual(String(buffer: parsed.data), #"{"userId":42,"msg":"hi"}"#)
    }

    private func code(_ text: String) -> EnvelopeError.Code? {
        if case .failure(let error) = self.parse(text) { return error.code }
        return nil
    }
}
