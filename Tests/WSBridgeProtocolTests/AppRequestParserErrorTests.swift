import NIOCore
import WSBridgeProtocol
import XCTest

/// Requests that are refused, each with its stable code, and the id echoed wherever it was readable.
final class AppRequestParserErrorTests: XCTestCase {
    /// A valid request of each type, as raw member texts, with an id so errors can be checked for it.
    static let validRequests: [[(String, String)]] = [
        [("type", #""hello""#), ("id", "1"), ("protocol", "1"), ("name", #""app""#), ("paths", #"["/ws"]"#)],
        [("type", #""hello""#), ("id", "1"), ("protocol", "1"), ("name", #""tool""#), ("paths", "[]"), ("tool", "true")],
        [("type", #""accept""#), ("id", "1"), ("conn", #""c1""#), ("user", #""u""#)],
        [("type", #""reject""#), ("id", "1"), ("conn", #""c1""#), ("status", "401"), ("reason", #""no""#)],
        [("type", #""register""#), ("id", "1"), ("session", #""s""#), ("user", #""u""#)],
        [("type", #""unregister""#), ("id", "1"), ("session", #""s""#)],
        [("type", #""publish""#), ("id", "1"), ("user", #""u""#), ("data", #""x""#), ("binary", "false")],
        [("type", #""publish""#), ("id", "1"), ("users", #"["u"]"#), ("data", #""x""#)],
        [("type", #""publish""#), ("id", "1"), ("all", "true"), ("data", #""x""#)],
        [("type", #""send""#), ("id", "1"), ("conn", #""c1""#), ("data", #""AA==""#), ("binary", "true")],
        [("type", #""close""#), ("id", "1"), ("conn", #""c1""#), ("code", "4000"), ("reason", #""bye""#)],
        [("type", #""status""#), ("id", "1")],
    ]

    /// Values of the wrong JSON type or out of range, for each field name.
    static let badValues: [String: [String]] = [
        "protocol": [#""1""#, "1.5", "1e0", "true", "null", "[]", "99999999999999999999"],
        "name": ["1", "true", "null", "[]", "{}", #""""#, "\"\(String(repeating: "n", count: 257))\""],
        "paths": [#""/ws""#, "{}", "null", "[1]", #"["ws"]"#, #"[""]"#, #"["/a b"]"#, #"["/a?x"]"#, #"["/a#x"]"#, #"[["/a"]]"#],
        "conn": ["1", "true", "null", "[]", "{}", #""""#, "\"\(String(repeating: "c", count: 65))\""],
        "user": ["true", "null", "[]", "{}", "1.5", "2e3", #""""#, "\"\(String(repeating: "u", count: 257))\""],
        "status": [#""401""#, "401.0", "399", "600", "200", "-403", "true", "null"],
        "reason": ["1", "true", "null", "[]", "{}"],
        "session": ["1", "true", "null", "[]", "{}", #""""#, "\"\(String(repeating: "s", count: 257))\""],
        "users": [#""u""#, "{}", "null", "[]", "[true]", "[null]", #"[""]"#, "[1.5]", #"["u",[]]"#],
        "all": ["false", "1", #""true""#, "null"],
        "binary": [#""true""#, "1", "null", "[]"],
        "tool": [#""true""#, "1", "null", "[]"],
        "code": [#""1000""#, "1000.0", "999", "1001", "1011", "2999", "5000", "0", "-1000", "null"],
        "data": [],  // any JSON value is valid data unless binary is true (checked separately)
    ]

    func testEveryMistypedOrOutOfRangeFieldIsBadFieldWithTheIDEchoed() {
        var checked = 0
        for request in Self.validRequests {
            XCTAssertNil(refusal(object(request)), "the base request must be valid: \(object(request))")
            for (name, _) in request where name != "type" && name != "id" {
                for value in Self.badValues[name] ?? [] {
                    let json = object(replacing(name, with: value, in: request))
                    let error = refusal(json)
                    XCTAssertEqual(error?.code, .badField, json)
                    XCTAssertEqual(error?.id, RequestID(1), json)
                    XCTAssertEqual(error?.closesConnection, false, json)
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 100)
    }

    func testEveryMissingRequiredFieldIsMissingFieldWithTheIDEchoed() {
        let optional: Set<String> = ["type", "id", "status", "reason", "code", "binary", "tool"]
        var checked = 0
        for request in Self.validRequests {
            for (name, _) in request where !optional.contains(name) {
                let json = object(replacing(name, with: nil, in: request))
                let error = refusal(json)
                XCTAssertEqual(error?.code, .missingField, json)
                XCTAssertEqual(error?.id, RequestID(1), json)
                XCTAssertEqual(error?.message.contains(name) == true || ["user", "users", "all"].contains(name), true, json)
                checked += 1
            }
        }
        XCTAssertEqual(checked, 21)
    }

    func testAFieldTheParserReadsMayNotAppearTwice() {
        XCTAssertEqual(refusal(#"{"type":"accept","conn":"c1","conn":"c2","user":"u","id":1}"#)?.code, .badField)
        XCTAssertEqual(refusal(#"{"type":"ping","type":"ping"}"#)?.code, .badField)
        XCTAssertEqual(refusal(#"{"type":"publish","user":"a","user":"b","data":1}"#)?.code, .badField)
        XCTAssertEqual(refusal(#"{"type":"ping","id":1,"id":2}"#), AppProtocolError(code: .badField, message: "\"id\" appears more than once"))
    }

    // MARK: Type

    func testAMissingTypeIsMissingTypeWithTheIDEchoed() {
        XCTAssertEqual(refusal(#"{"id":"q1","conn":"c1"}"#)?.code, .missingType)
        XCTAssertEqual(refusal(#"{"id":"q1","conn":"c1"}"#)?.id, RequestID(json: #""q1""#))
        XCTAssertEqual(refusal("{}")?.code, .missingType)
    }

    func testANonStringTypeIsMissingType() {
        for value in ["1", "true", "null", #"["ping"]"#, #"{"name":"ping"}"#] {
            XCTAssertEqual(refusal(#"{"type":\#(value),"id":2}"#)?.code, .missingType, value)
        }
    }

    func testAnUnknownTypeIsUnknownTypeWithTheIDEchoed() {
        let error = refusal(#"{"type":"subscribe","id":"x"}"#)
        XCTAssertEqual(error?.code, .unknownType)
        XCTAssertEqual(error?.id, RequestID(string: "x"))
        XCTAssertEqual(error?.message.contains("\"subscribe\""), true)
        XCTAssertEqual(refusal(#"{"type":"PING"}"#)?.code, .unknownType, "types are case-sensitive")
        XCTAssertEqual(refusal(#"{"type":""}"#)?.code, .unknownType)
    }

    func testAnEventTypeSentByAnAppIsUnknownType() {
        for type in ["welcome", "connect", "message", "closed", "deliver", "ok", "error", "pong", "shutdown"] {
            XCTAssertEqual(refusal(#"{"type":"\#(type)"}"#)?.code, .unknownType, type)
        }
    }

    func testAHugeUnknownTypeIsQuotedOnlyInPart() throws {
        let error = try XCTUnwrap(refusal(#"{"type":"\#(String(repeating: "z", count: 10_000))"}"#))
        XCTAssertEqual(error.code, .unknownType)
        XCTAssertLessThan(error.message.utf8.count, 200)
    }

    // MARK: Ids

    func testAnIDThatIsNeitherStringNorIntegerIsBadFieldWithoutAnID() {
        for value in ["1.5", "1e3", "true", "null", "[]", "{}"] {
            let error = refusal(#"{"type":"ping","id":\#(value)}"#)
            XCTAssertEqual(error?.code, .badField, value)
            XCTAssertNil(error?.id, value)
        }
    }

    // MARK: Frame contents

    func testInvalidJSONIsInvalidJSON() {
        for json in [#"{"type":"ping",}"#, #"{"type":"ping""#, "nonsense", #"{"type":'ping'}"#, #"{"type":"ping"} {}"#, "", "   ", #"{"a":01}"#] {
            let error = refusal(json)
            XCTAssertEqual(error?.code, .invalidJSON, json)
            XCTAssertNil(error?.id, json)
            XCTAssertEqual(error?.closesConnection, false, json)
        }
    }

    func testAnUnpairedSurrogateEscapeIsInvalidJSON() {
        XCTAssertEqual(refusal(#"{"type":"send","conn":"c1","data":"\ud83c"}"#)?.code, .invalidJSON)
    }

    func testInvalidUTF8BytesAreInvalidUTF8() {
        let prefix = Array(#"{"type":"send","conn":"c1","data":""#.utf8)
        let suffix = Array(#""}"#.utf8)
        let sequences: [[UInt8]] = [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]]
        for sequence in sequences {
            let error = refusal(ByteBuffer(bytes: prefix + sequence + suffix))
            XCTAssertEqual(error?.code, .invalidUTF8, "\(sequence)")
            XCTAssertEqual(error?.closesConnection, false)
        }
        XCTAssertEqual(refusal(ByteBuffer(bytes: [0xFE] + Array(#"{"type":"ping"}"#.utf8)))?.code, .invalidUTF8)
    }

    func testValidJSONThatIsNotAnObjectIsNotAnObject() {
        for json in ["[1,2]", #""ping""#, "42", "null", #"[{"type":"ping"}]"#] {
            XCTAssertEqual(refusal(json)?.code, .notAnObject, json)
        }
    }

    func testNestingDeeperThan64LevelsIsInvalidJSON() {
        let deep = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertEqual(refusal(#"{"type":"publish","all":true,"data":\#(deep)}"#)?.code, .invalidJSON)
        let fine = String(repeating: "[", count: 63) + String(repeating: "]", count: 63)
        XCTAssertNil(refusal(#"{"type":"publish","all":true,"data":\#(fine)}"#))
    }

    // MARK: Targets and data

    func testPublishWithTwoTargetsIsBadField() {
        for targets in [#""user":"a","all":true"#, #""user":"a","users":["b"]"#, #""users":["b"],"all":true"#] {
            let error = refusal(#"{"type":"publish","id":3,\#(targets),"data":1}"#)
            XCTAssertEqual(error?.code, .badField, targets)
            XCTAssertEqual(error?.id, RequestID(3))
        }
    }

    func testPublishWithNoTargetIsMissingField() {
        XCTAssertEqual(refusal(#"{"type":"publish","data":1}"#)?.code, .missingField)
    }

    func testPublishToAnEmptyUserListIsBadField() {
        XCTAssertEqual(refusal(#"{"type":"publish","users":[],"data":1}"#)?.code, .badField)
    }

    func testPublishToMoreThan10000UsersIsBadField() {
        let list = (0...10_000).map(String.init).joined(separator: ",")
        XCTAssertEqual(refusal(#"{"type":"publish","users":[\#(list)],"data":1}"#)?.code, .badField)
    }

    func testBinaryDataThatIsNotBase64IsBadField() {
        for data in [#""!!!!""#, #""A""#, #""AA=A""#, #""AAA==""#, #""AA AA""#, "1", "{}", "null"] {
            let error = refusal(#"{"type":"send","conn":"c1","id":4,"binary":true,"data":\#(data)}"#)
            XCTAssertEqual(error?.code, .badField, data)
            XCTAssertEqual(error?.id, RequestID(4), data)
        }
    }

    func testACloseReasonLongerThan123BytesIsBadField() {
        let ok = String(repeating: "r", count: 123)
        XCTAssertNil(refusal(#"{"type":"close","conn":"c1","reason":"\#(ok)"}"#))
        XCTAssertEqual(refusal(#"{"type":"close","conn":"c1","reason":"\#(ok)é"}"#)?.code, .badField)
    }

    func testARejectReasonLongerThan1024BytesIsBadField() {
        let ok = String(repeating: "r", count: 1024)
        XCTAssertNil(refusal(#"{"type":"reject","conn":"c1","reason":"\#(ok)"}"#))
        XCTAssertEqual(refusal(#"{"type":"reject","conn":"c1","reason":"\#(ok)r"}"#)?.code, .badField)
    }
}
