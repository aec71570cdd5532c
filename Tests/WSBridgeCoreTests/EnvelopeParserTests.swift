import WSBridgeJSON
import Foundation
import NIOCore
import WSBridgeCore
import WSBridgeTestSupport
import XCTest

final class EnvelopeParserTests: XCTestCase {
    let parser = EnvelopeParser()
    let compat = EnvelopeParser(compatUserField: "userId")

    func envelope(_ text: String, _ parser: EnvelopeParser? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> Envelope {
        switch (parser ?? self.parser).parse(ByteBuffer(string: text)) {
        case .success(let envelope): return envelope
        case .failure(let error):
            XCTFail("\(text) was refused: \(error)", file: file, line: line)
            throw error
        }
    }

    func errorCode(_ text: String, _ parser: EnvelopeParser? = nil) -> EnvelopeError.Code? {
        errorCode(ByteBuffer(string: text), parser)
    }

    func errorCode(_ message: ByteBuffer, _ parser: EnvelopeParser? = nil) -> EnvelopeError.Code? {
        switch (parser ?? self.parser).parse(message) {
        case .success: return nil
        case .failure(let error): return error.code
        }
    }

    func text(_ envelope: Envelope) -> String {
        String(buffer: envelope.payload)
    }

    // MARK: Targets

    func testUserEnvelopeTargetsThatUser() throws {
        let parsed = try envelope(#"{"user":"A","data":"hello"}"#)
        XCTAssertEqual(parsed.target, .user("A"))
        XCTAssertEqual(text(parsed), "hello")
        XCTAssertFalse(parsed.isBinary)
    }

    func testIntegerAndStringUserIDsNameTheSameUser() throws {
        XCTAssertEqual(try envelope(#"{"user":42,"data":1}"#).target, .user("42"))
        XCTAssertEqual(try envelope(#"{"user":"42","data":1}"#).target, .user("42"))
        XCTAssertEqual(try envelope(#"{"user":-7,"data":1}"#).target, .user("-7"))
        XCTAssertEqual(try envelope(#"{"user":"\u0041\u00e9","data":1}"#).target, .user("Aé"))
    }

    func testUsersEnvelopeKeepsOrderAndDropsDuplicates() throws {
        let parsed = try envelope(#"{"users":["B", 42, "A", "B", "42", "\u0041"],"data":"x"}"#)
        XCTAssertEqual(parsed.target, .users(["B", "42", "A"]))
        // Long lists are deduplicated through a set; the result must be the same.
        let ids = (0..<40).map { "u\($0 % 25)" }
        let list = ids.map { "\"\($0)\"" }.joined(separator: ",")
        let long = try envelope(#"{"users":[\#(list)],"data":1}"#)
        XCTAssertEqual(long.target, .users((0..<25).map { "u\($0)" }))
    }

    func testAllEnvelopeTargetsEveryone() throws {
        XCTAssertEqual(try envelope(#"{"all":true,"data":"x"}"#).target, .all)
    }

    func testAllMustBeTrue() {
        for value in ["false", "1", #""true""#, "null", "[]"] {
            XCTAssertEqual(errorCode(#"{"all":\#(value),"data":"x"}"#), .badTarget, value)
        }
    }

    func testTwoOrMoreTargetsConflict() {
        XCTAssertEqual(errorCode(#"{"user":"A","users":["B"],"data":1}"#), .conflictingTargets)
        XCTAssertEqual(errorCode(#"{"user":"A","all":true,"data":1}"#), .conflictingTargets)
        XCTAssertEqual(errorCode(#"{"users":["A"],"all":true,"data":1}"#), .conflictingTargets)
        XCTAssertEqual(errorCode(#"{"user":"A","users":["B"],"all":true,"data":1}"#), .conflictingTargets)
        XCTAssertEqual(errorCode(#"{"user":"A","user":"B","data":1}"#), .conflictingTargets)
    }

    func testMessageWithoutTargetIsRefused() {
        XCTAssertEqual(errorCode(#"{"data":"x"}"#), .noTarget)
        XCTAssertEqual(errorCode(#"{}"#), .noTarget)
        XCTAssertEqual(errorCode(#"{"userId":42,"msg":"hi"}"#), .noTarget, "no compat field configured")
        XCTAssertEqual(errorCode(#"{"uid":42,"msg":"hi"}"#, compat), .noTarget)
    }

    func testBadUserValuesAreRefused() {
        for value in [#""""#, "1.5", "1e3", "-0.0", "true", "null", "{}", #"["A"]"#] {
            XCTAssertEqual(errorCode(#"{"user":\#(value),"data":1}"#), .badTarget, value)
        }
    }

    func testBadUsersValuesAreRefused() {
        for value in ["[]", #""A""#, "42", "{}", #"["A",""]"#, #"["A",1.5]"#, #"["A",null]"#, #"[["A"]]"#, "true"] {
            XCTAssertEqual(errorCode(#"{"users":\#(value),"data":1}"#), .badTarget, value)
        }
    }

    func testUserIDLengthLimitIsInUTF8Bytes() throws {
        let limited = EnvelopeParser(maxUserIDBytes: 4)
        XCTAssertEqual(try envelope(#"{"user":"abcd","data":1}"#, limited).target, .user("abcd"))
        XCTAssertEqual(try envelope(#"{"user":"\u0061\u0062","data":1}"#, limited).target, .user("ab"))
        XCTAssertEqual(try envelope(#"{"user":1234,"data":1}"#, limited).target, .user("1234"))
        XCTAssertEqual(errorCode(#"{"user":"abcde","data":1}"#, limited), .badTarget)
        XCTAssertEqual(errorCode(#"{"user":"ééé","data":1}"#, limited), .badTarget, "6 bytes")
        XCTAssertEqual(errorCode(#"{"user":12345,"data":1}"#, limited), .badTarget)
        XCTAssertEqual(errorCode(#"{"users":["a","abcde"],"data":1}"#, limited), .badTarget)
        let longEscaped = #"{"user":""# + String(repeating: #"\u0061"#, count: 5) + #"","data":1}"#
        XCTAssertEqual(errorCode(longEscaped, limited), .badTarget)
        XCTAssertEqual(errorCode(#"{"user":""# + String(repeating: "a", count: 257) + #"","data":1}"#), .badTarget)
    }

    func testTooManyUsersIsTooLarge() throws {
        let limited = EnvelopeParser(maxUsersPerMessage: 3)
        XCTAssertEqual(try envelope(#"{"users":["a","b","c"],"data":1}"#, limited).target, .users(["a", "b", "c"]))
        XCTAssertEqual(errorCode(#"{"users":["a","b","c","d"],"data":1}"#, limited), .tooLarge)
        let many = (0...10_000).map(String.init).joined(separator: ",")
        XCTAssertEqual(errorCode(#"{"users":[\#(many)],"data":1}"#), .tooLarge)
    }

    // MARK: Data

    func testMissingDataIsRefused() {
        XCTAssertEqual(errorCode(#"{"user":"A"}"#), .missingData)
        XCTAssertEqual(errorCode(#"{"all":true,"binary":true}"#), .missingData)
    }

    func testDataAppearingTwiceIsRefused() {
        XCTAssertEqual(errorCode(#"{"user":"A","data":1,"data":2}"#), .badData)
    }

    func testNonStringDataIsSentAsItsExactRawText() throws {
        let cases = [
            #"{"x" : [1, 2.50]}"#, "[ ]", "-0.0e+5", "123456789012345678901234567890", "true", "false", "null",
            #"{"nested":{"s":"a\"b\u00e9","e":[]}}"#, "[\"é\",\n\t1]",
        ]
        for data in cases {
            let parsed = try envelope(#"{"user":"a","data": \#(data) }"#)
            XCTAssertEqual(text(parsed), data)
            XCTAssertFalse(parsed.isBinary)
        }
    }

    func testRawDataPayloadIsASliceOfTheMessage() throws {
        var message = ByteBuffer(string: #"xx{"user":"a","data": {"x" : [1, 2.50]} }"#)
        message.moveReaderIndex(forwardBy: 2)
        let parsed = try parser.parse(message).get()
        XCTAssertEqual(String(buffer: parsed.payload), #"{"x" : [1, 2.50]}"#)
        let sharesStorage = message.withUnsafeReadableBytes { whole in
            parsed.payload.withUnsafeReadableBytes { part in
                guard let wholeBase = whole.baseAddress, let partBase = part.baseAddress else { return false }
                return partBase >= wholeBase && partBase + part.count <= wholeBase + whole.count
            }
        }
        XCTAssertTrue(sharesStorage, "payload should be a zero-copy slice")
    }

    func testStringDataIsSentAsItsUnescapedText() throws {
        XCTAssertEqual(text(try envelope(#"{"user":"a","data":"plain"}"#)), "plain")
        XCTAssertEqual(text(try envelope(#"{"user":"a","data":""}"#)), "")
        XCTAssertEqual(
            text(try envelope(#"{"user":"a","data":"line\nnext \"q\" \u00e9\ud83d\ude00 \\ \/"}"#)),
            "line\nnext \"q\" é😀 \\ /"
        )
        XCTAssertEqual(text(try envelope(#"{"user":"a","data":"{\"x\":1}"}"#)), #"{"x":1}"#)
    }

    func testUnknownMembersAreIgnored() throws {
        let parsed = try envelope(#"{"v":2,"user":"a","meta":{"trace":[1,2]},"data":"x","extra":null}"#)
        XCTAssertEqual(parsed.target, .user("a"))
        XCTAssertEqual(text(parsed), "x")
    }

    // MARK: Binary

    func testBinaryDataIsDecodedFromBase64() throws {
        let parsed = try envelope(#"{"user":"a","binary":true,"data":"AAEC/w=="}"#)
        XCTAssertTrue(parsed.isBinary)
        XCTAssertEqual(Array(parsed.payload.readableBytesView), [0, 1, 2, 255])
    }

    func testBase64PaddingIsOptional() throws {
        for (text, expected) in [("", ""), ("YQ", "a"), ("YQ==", "a"), ("YWI", "ab"), ("YWI=", "ab"), ("YWJj", "abc"), ("+/+/", "\u{FB}\u{FF}\u{BF}")] {
            let parsed = try envelope(#"{"user":"a","binary":true,"data":"\#(text)"}"#)
            XCTAssertEqual(Array(parsed.payload.readableBytesView), Array(expected.unicodeScalars.map { UInt8($0.value) }), text)
            XCTAssertTrue(parsed.isBinary)
        }
    }

    func testBase64MatchesFoundationOnRandomBytes() throws {
        var random = SplitMix64(seed: 0xBA5E_0064)
        for count in 0..<200 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            let encoded = Data(bytes).base64EncodedString()
            // Also as some encoders write it, with "/" escaped as "\/".
            for data in [encoded, encoded.replacingOccurrences(of: "/", with: #"\/"#)] {
                let parsed = try envelope(#"{"user":"a","binary":true,"data":"\#(data)"}"#)
                XCTAssertEqual(Array(parsed.payload.readableBytesView), bytes)
            }
        }
    }

    func testBadBase64IsBadData() {
        for text in ["Y", "YQ=", "YQ===", "Y===", "YQ==YQ==", "Y Q==", "YQ\\n", "YQ-_", "=", "YWJj\u{00e9}"] {
            XCTAssertEqual(errorCode(#"{"user":"a","binary":true,"data":"\#(text)"}"#), .badData, text)
        }
        XCTAssertEqual(errorCode(#"{"user":"a","binary":true,"data":[1,2]}"#), .badData)
        XCTAssertEqual(errorCode(#"{"user":"a","binary":true,"data":42}"#), .badData)
    }

    func testBinaryMustBeABoolean() throws {
        for value in ["1", #""true""#, "null", "{}"] {
            XCTAssertEqual(errorCode(#"{"user":"a","binary":\#(value),"data":"YQ=="}"#), .badData, value)
        }
        let notBinary = try envelope(#"{"user":"a","binary":false,"data":"YQ=="}"#)
        XCTAssertFalse(notBinary.isBinary)
        XCTAssertEqual(text(notBinary), "YQ==")
        XCTAssertEqual(errorCode(#"{"user":"a","binary":true,"binary":true,"data":"YQ=="}"#), .badData)
    }

    // MARK: Seed compatibility

    func testSeedMessageIsDeliveredWholeToTheCompatUser() throws {
        let message = #"{"userId": 42, "msg": "hi"}"#
        let parsed = try envelope(message, compat)
        XCTAssertEqual(parsed.target, .user("42"))
        XCTAssertEqual(text(parsed), message)
        XCTAssertFalse(parsed.isBinary)
    }

    func testCompatMessageIsByteForByteUnchangedIncludingWhitespace() throws {
        let message = " \n{\"userId\" : \"u-1\", \"data\": \"not unescaped\\n\", \"x\": [1.50] }\t"
        var buffer = ByteBuffer(string: "junk" + message)
        buffer.moveReaderIndex(forwardBy: 4)
        let parsed = try compat.parse(buffer).get()
        XCTAssertEqual(parsed.target, .user("u-1"))
        XCTAssertEqual(String(buffer: parsed.payload), message)
    }

    func testNativeTargetWinsOverCompatField() throws {
        let parsed = try envelope(#"{"userId":42,"user":"A","data":"native"}"#, compat)
        XCTAssertEqual(parsed.target, .user("A"))
        XCTAssertEqual(text(parsed), "native")
        XCTAssertEqual(errorCode(#"{"userId":42,"all":true}"#, compat), .missingData)
    }

    func testBadCompatUserValuesAreRefused() {
        for value in ["1.5", #""""#, "null", "true", "{}", "[42]"] {
            XCTAssertEqual(errorCode(#"{"userId":\#(value),"msg":"hi"}"#, compat), .badTarget, value)
        }
        XCTAssertEqual(errorCode(#"{"userId":1,"userId":2}"#, compat), .badTarget)
    }

    // MARK: Not JSON, not an object

    func testInvalidJSONIsRefusedAsInvalidJSON() {
        for message in ["", "nope", #"{"user":"a","data":1"#, #"{"user":"a","data":01}"#, #"{"user":"a","data":[1,]}"#, "{\"user\":\"a\",\"data\":\"\u{1}\"}"] {
            XCTAssertEqual(errorCode(message), .invalidJSON, message)
        }
        XCTAssertEqual(errorCode(ByteBuffer(bytes: Array(#"{"user":"a","data":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8))), .invalidJSON)
    }

    func testValidJSONThatIsNotAnObjectIsNotAnObject() {
        for message in ["[]", #"[{"user":"a","data":1}]"#, #""x""#, "42", "null"] {
            XCTAssertEqual(errorCode(message), .notAnObject, message)
        }
    }

    func testNestingBeyondTheLimitIsTooLarge() {
        let deep = #"{"user":"a","data":"# + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}"
        XCTAssertEqual(errorCode(deep), .tooLarge)
        let limit = #"{"user":"a","data":"# + String(repeating: "[", count: 63) + String(repeating: "]", count: 63) + "}"
        XCTAssertNil(errorCode(limit))
    }

    func testErrorsDescribeThemselvesWithTheirCode() {
        guard case .failure(let error) = parser.parse(ByteBuffer(string: #"{"data":1}"#)) else {
            return XCTFail("expected a failure")
        }
        XCTAssertEqual(error.code.rawValue, "no_target")
        XCTAssertTrue(error.description.hasPrefix("no_target: "), error.description)
    }

    // MARK: Against Foundation

    func testPayloadsOfMutatedMessagesMatchFoundationsReadingOfData() throws {
        let seeds = [
            #"{"user":"alice","data":"hello \"world\" \u00e9\ud83d\ude00"}"#, #"{"user":42,"data":{"a":[1,2.5,{"b":null}]}}"#,
            #"{"users":["a","b","a"],"data":[true,false,null,"x\ny"]}"#, #"{"all":true,"data":-12.5e3}"#,
            #"{"user":"b","binary":true,"data":"aGVsbG8gd29ybGQ="}"#, #"{"user":"c","data":"","extra":{"x":[]}}"#,
            #"{ "user" : "d" , "data" : [ 1 , { "k" : "v" } ] }"#,
        ]
        var random = SplitMix64(seed: 0xE7E1_0BE5)
        var checked = 0
        for iteration in 0..<4_000 {
            var bytes = Array(seeds[iteration % seeds.count].utf8)
            for _ in 0..<Int.random(in: 0...2, using: &random) { JSONMutations.mutate(&bytes, &random) }
            guard case .success(let parsed) = parser.parse(ByteBuffer(bytes: bytes)),
                JSONMutations.foundationDifference(bytes) == nil
            else { continue }
            let message = String(decoding: bytes, as: UTF8.self).debugDescription
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], message)
            let data = try XCTUnwrap(object["data"], message)
            let payload = Array(parsed.payload.readableBytesView)
            if parsed.isBinary {
                var text = try XCTUnwrap(data as? String, message)
                text += String(repeating: "=", count: (4 - text.utf8.count % 4) % 4)
                XCTAssertEqual(payload, Data(base64Encoded: text).map { [UInt8]($0) }, message)
            } else if let text = data as? String {
                XCTAssertEqual(payload, Array(text.utf8), message)
            } else {
                let reread = try JSONSerialization.jsonObject(with: Data(payload), options: .fragmentsAllowed)
                XCTAssertEqual(reread as? NSObject, data as? NSObject, message)
            }
            if let user = object["user"] as? String {
                XCTAssertEqual(parsed.target, .user(user), message)
            }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 1_000)
    }
}
