import Foundation
import NIOCore
import WSBridgeJSON
import WSBridgeTestSupport
import XCTest

/// Scans `bytes` with the raw-pointer entry point.
func scanJSON(_ bytes: [UInt8], maxDepth: Int = 64) -> Result<[JSONMember], JSONScanError> {
    bytes.withUnsafeBytes { raw in
        Result { () throws(JSONScanError) in try JSONScanner.scanObject(raw, maxDepth: maxDepth) }
    }
}

func scanJSON(_ text: String, maxDepth: Int = 64) -> Result<[JSONMember], JSONScanError> {
    scanJSON(Array(text.utf8), maxDepth: maxDepth)
}

/// `{"a":"<bytes>"}` with `bytes` placed raw inside the string.
func objectWithRawString(_ bytes: [UInt8]) -> [UInt8] {
    Array(#"{"a":""#.utf8) + bytes + Array(#""}"#.utf8)
}

final class JSONScannerTests: XCTestCase {
    // MARK: Accept and reject

    func testStrictlyValidObjectsAreAccepted() {
        let documents = [
            "{}", " {} ", "\t\n\r {}\r\n\t", #"{"a":1}"#, #"{ "a" : [ 1 , 2 ] , "b" : { } }"#,
            #"{"a":0}"#, #"{"a":-0}"#, #"{"a":0.5}"#, #"{"a":-1.5e10}"#, #"{"a":1E+2}"#, #"{"a":1e-2}"#,
            #"{"a":0e0}"#, #"{"a":-0.0E-0}"#, #"{"a":123456789012345678901234567890}"#, #"{"a":1e400}"#,
            #"{"a":true,"b":false,"c":null}"#, #"{"a":[]}"#, #"{"a":{}}"#, #"{"a":[{}, [], [[]], {"b":{}}]}"#,
            #"{"a":[1,[2,[3]],{"b":{"c":[true,false,null,"x"]}}]}"#, #"{"":""}"#,
            #"{"a":"\"\\\/\b\f\n\r\t"}"#, #"{"a":"\u0000"}"#, #"{"a":"\u001F\u007f"}"#,
            #"{"a":"\uD83D\uDE00"}"#, #"{"a":"\ud83d\ude00"}"#, #"{"a":"\uDBFF\uDFFF"}"#, #"{"a":"\u00e9\u20AC"}"#,
            "{\"a\":\"é€😀 \u{7F}\"}", #"{"a":1,"a":2}"#, #"{"\u0075ser":"x"}"#,
            #"{"long":"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"}"#,
        ]
        for document in documents {
            XCTAssertNoThrow(try scanJSON(document).get(), "should accept \(document)")
        }
    }

    func testMalformedDocumentsAreRejectedAsInvalidJSON() {
        let documents = [
            "", "   ", "\n", "{", "}", "{{}}", #"{"a"}"#, #"{"a":}"#, #"{"a":1,}"#, "{,}", #"{"a":1 "b":2}"#,
            "{'a':1}", "{a:1}", #"{"a":01}"#, #"{"a":-01}"#, #"{"a":00}"#, #"{"a":1.}"#, #"{"a":.5}"#,
            #"{"a":-}"#, #"{"a":+1}"#, #"{"a":1e}"#, #"{"a":1e+}"#, #"{"a":1.e5}"#, #"{"a":0x10}"#,
            #"{"a":NaN}"#, #"{"a":Infinity}"#, #"{"a":-Infinity}"#, #"{"a":tru}"#, #"{"a":True}"#,
            #"{"a":nul}"#, #"{"a":nulll}"#, #"{"a":[1,]}"#, #"{"a":[,1]}"#, #"{"a":[1 2]}"#,
            #"{"a":{"b"}}"#, #"{"a":{"b":1,}}"#, #"{"a":{,}}"#, #"{"a":[}"#, #"{"a":]}"#, #"{"a":[1}"#,
            #"{"a":{]}"#, #"{"a":{"b":1]}"#, "{} {}", "{}x", "{}//c", "/*c*/{}", #"{"a":1}//"#, "{}]",
            #"{"a":"\x"}"#, #"{"a":"\u12"}"#, #"{"a":"\u12G4"}"#, #"{"a":"\U0041"}"#, #"{"a":"\'"}"#,
            #"{"a":"\uD83D"}"#, #"{"a":"\uDE00"}"#, #"{"a":"\uD83D\u0041"}"#, #"{"a":"\uD83Dx"}"#,
            #"{"a":"\uDE00\uD83D"}"#, #"{"a":"\uD83D\uD83D"}"#, #"{"a":"\uD83D\"#, "{\"a\":\"\t\"}",
            "{\"a\":\"\n\"}", "{\"a\":\"\u{1}\"}", "{\"a\u{0}\":1}", #"{"a":"unterminated}"#, #"{"a":"\"#,
            "{\"a\":1}\u{0}", "\u{FEFF}{}", "{\"a\":1\u{A0}}", #"{"a" 1}"#, #"{"a"::1}"#, #"{:1}"#,
            #"{"a":1}}"#, #"{"a":[1]]}"#, "{\u{B}}", "{\u{C}}",
        ]
        for document in documents {
            switch scanJSON(document) {
            case .success: XCTFail("should reject \(document.debugDescription)")
            case .failure(let error): XCTAssertEqual(error.code, .invalidJSON, "\(document.debugDescription): \(error)")
            }
        }
    }

    func testWellFormedUTF8BoundarySequencesAreAccepted() {
        let sequences: [[UInt8]] = [
            [0x7F], [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xE1, 0x80, 0x80], [0xEC, 0xBF, 0xBF],
            [0xED, 0x80, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF],
            [0xF0, 0x90, 0x80, 0x80], [0xF3, 0xBF, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF],
        ]
        for sequence in sequences {
            XCTAssertNoThrow(try scanJSON(objectWithRawString(sequence)).get(), "\(sequence)")
            // Also after an ASCII run, so the eight-byte fast path hands over mid-word.
            XCTAssertNoThrow(try scanJSON(objectWithRawString(Array("abcdefghijk".utf8) + sequence)).get())
        }
    }

    func testMalformedUTF8InStringsIsRejected() {
        let sequences: [[UInt8]] = [
            [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xC2], [0xC2, 0x41], [0xC2, 0xC0],
            [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xE2, 0x82], [0xE2, 0x82, 0x41],
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],
            [0xF0, 0x9F, 0x98], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
            [0xFE], [0xFF],
        ]
        for sequence in sequences {
            for prefix in [[], Array("0123456789abc".utf8)] {
                let document = objectWithRawString(prefix + sequence)
                XCTAssertThrowsError(try scanJSON(document).get(), "\(sequence)") { error in
                    XCTAssertEqual((error as? JSONScanError)?.reason, "invalid UTF-8 in a string")
                }
            }
            // In a member name too.
            let inKey = Array(#"{""#.utf8) + sequence + Array(#"":1}"#.utf8)
            XCTAssertThrowsError(try scanJSON(inKey).get(), "\(sequence) in a key")
        }
        // Non-ASCII bytes outside strings are not JSON either.
        XCTAssertThrowsError(try scanJSON([0x7B, 0xC2, 0xA0, 0x7D]).get())
    }

    func testValidNonObjectValuesAreReportedAsNotAnObject() {
        for document in ["[]", "[1,2]", #""s""#, "1", "-1.5e3", "true", "false", "null", " [ {} ] \n"] {
            XCTAssertEqual(scanJSON(document).failure?.code, .notAnObject, document)
        }
        for document in ["[1,]", "01", #""abc"#, "[] x", "tru", "[", "-"] {
            XCTAssertEqual(scanJSON(document).failure?.code, .invalidJSON, document)
        }
    }

    func testErrorOffsetPointsAtTheProblem() {
        XCTAssertEqual(scanJSON(#"{"a":1,}"#).failure?.offset, 7)
        XCTAssertEqual(scanJSON(#"{"a":01}"#).failure?.offset, 6)
        XCTAssertEqual(scanJSON(#"{"a":"\uDE00"}"#).failure?.offset, 6)
        XCTAssertEqual(scanJSON(objectWithRawString([0x41, 0xFF])).failure?.offset, 7)
        XCTAssertEqual(scanJSON("{} x").failure?.offset, 3)
    }

    // MARK: Depth

    /// An object holding `levels - 1` nested containers, alternating arrays and objects: depth `levels`.
    func nested(_ levels: Int) -> String {
        var open = ""
        var closers: [String] = []
        for level in 1..<max(levels, 1) {
            open += level % 2 == 1 ? "[" : #"{"k":"#
            closers.append(level % 2 == 1 ? "]" : "}")
        }
        return #"{"a":"# + open + "1" + closers.reversed().joined() + "}"
    }

    func testNestingUpToTheLimitIsAcceptedAndBeyondItRefused() {
        XCTAssertNoThrow(try scanJSON(nested(64)).get())
        XCTAssertEqual(scanJSON(nested(65)).failure?.code, .tooDeep)
        XCTAssertNoThrow(try scanJSON(nested(10), maxDepth: 10).get())
        XCTAssertEqual(scanJSON(nested(11), maxDepth: 10).failure?.code, .tooDeep)
        XCTAssertNoThrow(try scanJSON(#"{"a":1}"#, maxDepth: 1).get())
        XCTAssertEqual(scanJSON(#"{"a":[]}"#, maxDepth: 1).failure?.code, .tooDeep)
        XCTAssertEqual(scanJSON(#"{"a":{}}"#, maxDepth: 1).failure?.code, .tooDeep)
        XCTAssertEqual(scanJSON("{}", maxDepth: 0).failure?.code, .tooDeep)
        // A top-level array counts the same way.
        let array65 = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        XCTAssertEqual(scanJSON(array65).failure?.code, .tooDeep)
    }

    func testVeryDeepNestingNeedsNoRecursion() throws {
        // 100 000 levels would overflow a recursive scanner's stack; this one keeps a bit per level.
        let deep = nested(100_000)
        XCTAssertNoThrow(try scanJSON(deep, maxDepth: 100_000).get())
        XCTAssertEqual(scanJSON(deep, maxDepth: 99_999).failure?.code, .tooDeep)
        // A mismatched bracket far down is still noticed (the bit stack spilled to the heap there).
        var mismatched = Array(deep.utf8)
        let one = try XCTUnwrap(mismatched.firstIndex(of: UInt8(ascii: "1")))
        XCTAssertEqual(mismatched[one + 1], UInt8(ascii: "]"))
        mismatched[one + 1] = UInt8(ascii: "}")
        XCTAssertEqual(scanJSON(mismatched, maxDepth: 100_000).failure?.code, .invalidJSON)
    }

    // MARK: Members

    func testMembersCarryNamesKindsAndExactValueRanges() throws {
        let document = #" {"user":"a", "data": {"x" : [1, 2.50]} ,"n":-1.5e3,"t":true,"f":false,"z":null,"s":"q\"x","l":[ ]} "#
        let bytes = Array(document.utf8)
        let members = try scanJSON(bytes).get()
        let expected: [(String, JSONValueKind, String)] = [
            ("user", .string, #""a""#), ("data", .object, #"{"x" : [1, 2.50]}"#), ("n", .number, "-1.5e3"),
            ("t", .true, "true"), ("f", .false, "false"), ("z", .null, "null"), ("s", .string, #""q\"x""#),
            ("l", .array, "[ ]"),
        ]
        XCTAssertEqual(members.count, expected.count)
        for (member, (key, kind, text)) in zip(members, expected) {
            XCTAssertEqual(member.key, key)
            XCTAssertEqual(member.kind, kind, key)
            XCTAssertEqual(String(decoding: bytes[member.value], as: UTF8.self), text, key)
        }
    }

    func testEscapedMemberNamesAreDecodedAndDuplicatesKept() throws {
        let members = try scanJSON(#"{"\u0075ser":1,"a\"b":2,"user":3,"\ud83d\ude00":4}"#).get()
        XCTAssertEqual(members.map(\.key), ["user", "a\"b", "user", "😀"])
    }

    func testByteBufferRangesAreRelativeToTheReaderIndex() throws {
        var buffer = ByteBuffer(string: #"garbage{"a": [1] }"#)
        buffer.moveReaderIndex(forwardBy: 7)
        let members = try JSONScanner.scanObject(buffer)
        XCTAssertEqual(members, [JSONMember(key: "a", value: 6..<9, kind: .array)])
        XCTAssertEqual(buffer.getString(at: buffer.readerIndex + 6, length: 3), "[1]")
        XCTAssertThrowsError(try JSONScanner.scanObject(ByteBuffer(string: "[]"))) { error in
            XCTAssertEqual((error as? JSONScanError)?.code, .notAnObject)
        }
    }

    func testArrayElementsAreListedWithRanges() throws {
        let bytes = Array(#"{"u":[ "a", 42 ,{"b":[]},[1,2], null ]}"#.utf8)
        let members = try scanJSON(bytes).get()
        let elements = try bytes.withUnsafeBytes { raw in
            try JSONScanner.scanArray(raw, members[0].value)
        }
        XCTAssertEqual(elements.map(\.kind), [.string, .number, .object, .array, .null])
        XCTAssertEqual(elements.map { String(decoding: bytes[$0.value], as: UTF8.self) }, [#""a""#, "42", #"{"b":[]}"#, "[1,2]", "null"])
        let empty = Array("[]".utf8)
        XCTAssertEqual(try empty.withUnsafeBytes { raw in try JSONScanner.scanArray(raw, 0..<2) }, [])
        for bad in ["[1,]", "[1", "{}", " []", "[] ", "[1]x"] {
            let badBytes = Array(bad.utf8)
            XCTAssertThrowsError(
                try badBytes.withUnsafeBytes { raw in try JSONScanner.scanArray(raw, 0..<badBytes.count) },
                bad
            )
        }
    }

    func testIntegerTextAcceptsIntegersOnly() throws {
        func integer(_ text: String) throws -> String {
            try Array(text.utf8).withUnsafeBytes { raw in
                try JSONScanner.integerText(raw, 0..<raw.count)
            }
        }
        XCTAssertEqual(try integer("42"), "42")
        XCTAssertEqual(try integer("-7"), "-7")
        XCTAssertEqual(try integer("0"), "0")
        XCTAssertEqual(try integer("123456789012345678901234567890"), "123456789012345678901234567890")
        for bad in ["1.0", "1e3", "1E3", "-", "", "01", "+1", "4 2", "x"] {
            XCTAssertThrowsError(try integer(bad), bad)
        }
    }

    // MARK: Decoding strings

    func decode(_ literal: String) throws -> String {
        let bytes = Array(#"{"k":"#.utf8) + Array(literal.utf8) + Array("}".utf8)
        let member = try XCTUnwrap(try scanJSON(bytes).get().first)
        return try bytes.withUnsafeBytes { raw in try JSONScanner.decodeString(raw, member.value) }
    }

    func testDecodeStringUnescapesEverything() throws {
        let cases: [(String, String)] = [
            (#""""#, ""), (#""plain""#, "plain"), (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
            (#""\u0041\u00e9\u20AC\uFFFF""#, "Aé€\u{FFFF}"), (#""\uD83D\uDE00!""#, "😀!"),
            (#""\u0000""#, "\u{0}"), (#""a\nb\u0063d\\""#, "a\nbcd\\"), (#""é€😀""#, "é€😀"),
            (#""\uDBFF\uDFFF""#, "\u{10FFFF}"), (#""x\/y""#, "x/y"),
        ]
        for (literal, expected) in cases {
            XCTAssertEqual(try decode(literal), expected, literal)
        }
    }

    func testDecodeStringRefusesRangesThatAreNotStrings() throws {
        let bytes = Array(#""ab" 12 "\q""#.utf8)
        try bytes.withUnsafeBytes { raw in
            XCTAssertThrowsError(try JSONScanner.decodeString(raw, 5..<7))
            XCTAssertThrowsError(try JSONScanner.decodeString(raw, 0..<1))
            XCTAssertThrowsError(try JSONScanner.decodeString(raw, 0..<100))
            XCTAssertThrowsError(try JSONScanner.decodeString(raw, 8..<12))
            XCTAssertEqual(try? JSONScanner.decodeString(raw, 0..<4), "ab")
        }
    }

    func testDecodeStringBytesAppendsTheSameUTF8AsDecodeString() throws {
        for literal in [#""plain text""#, #""tab\there \u00e9 \ud83d\ude00 \"q\"""#, #""""#, #""\\""#] {
            let bytes = Array(#"{"k":"#.utf8) + Array(literal.utf8) + Array("}".utf8)
            let member = try XCTUnwrap(try scanJSON(bytes).get().first)
            var buffer = ByteBuffer(string: "prefix:")
            let (string, written) = try bytes.withUnsafeBytes { raw in
                (try JSONScanner.decodeString(raw, member.value), try JSONScanner.decodeStringBytes(raw, member.value, into: &buffer))
            }
            XCTAssertEqual(buffer.readString(length: 7), "prefix:")
            XCTAssertEqual(written, string.utf8.count)
            XCTAssertEqual(Array(buffer.readableBytesView), Array(string.utf8), literal)
        }
    }

    func testRandomStringsRoundTripThroughFoundationsEncoder() throws {
        var random = SplitMix64(seed: 0x5EED_0001)
        let pool: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "€", "\u{FFFF}", "😀", "\u{10FFFF}", "\u{E000}"]
        for _ in 0..<2_000 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...24, using: &random) {
                scalars.append(pool[Int.random(in: 0..<pool.count, using: &random)])
            }
            let original = String(scalars)
            let data = try JSONSerialization.data(withJSONObject: ["k": original])
            let bytes = [UInt8](data)
            let member = try XCTUnwrap(try scanJSON(bytes).get().first, String(decoding: bytes, as: UTF8.self))
            let decoded = try bytes.withUnsafeBytes { raw in try JSONScanner.decodeString(raw, member.value) }
            XCTAssertEqual(decoded, original)
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}


/// Compares the scanner's verdict with Foundation's `JSONSerialization` on thousands of mutated documents.
final class JSONScannerDifferentialTests: XCTestCase {
    static let seeds = [
        #"{}"#, #"{"a":1}"#, #"{"user":"A","data":{"x":[1,2.5,-3e2,true,false,null]}}"#,
        #"{"users":["a","b",42],"data":"hello\nworld"}"#, #"{"all":true,"data":[{"k":"v"},[],{}]}"#,
        #"{"s":"\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00","n":-0.5E+10}"#, #"{"é":"€😀","x":"plain ascii text here"}"#,
        #" { "a" : [ 1 , { "b" : null } ] , "c" : "d" } "#, #"{"deep":[[[[{"a":[[{}]]}]]]]}"#,
        #"{"num":0,"neg":-1,"frac":0.25,"exp":1e5,"big":12345678901234567890}"#, #"[1,{"a":2}]"#, #""str""#,
    ]



    func testFoundationGuessesEncodingsWhichTheScannerRefuses() {
        let documents: [[UInt8]] = [
            [0xEF, 0xBB, 0xBF] + Array("{}".utf8), [0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00], [0x7B, 0x00, 0x7D, 0x00],
        ]
        for bytes in documents {
            XCTAssertEqual(JSONMutations.foundationDifference(bytes), .encodingGuess, "\(bytes)")
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(bytes)), "\(bytes)")
            XCTAssertEqual(scanJSON(bytes).failure?.code, .invalidJSON, "\(bytes)")
        }
    }

    func testFoundationAcceptsTrailingCommasWhichTheScannerRefuses() {
        let cases = [
            (#"{"a":1,}"#, #"{"a":1}"#), (#"{"a":[1 , ],"b":{"c":"x",} , }"#, #"{"a":[1  ],"b":{"c":"x"}  }"#),
            (#"{"s":",}"}"#, nil), (#"{"a":[,]}"#, nil), (#"{"a":{,}}"#, nil),
        ]
        for (document, withoutCommas) in cases {
            let bytes = Array(document.utf8)
            guard let withoutCommas else {
                XCTAssertNil(JSONMutations.foundationDifference(bytes), document)
                continue
            }
            XCTAssertEqual(JSONMutations.foundationDifference(bytes), .trailingCommas(removed: Array(withoutCommas.utf8)), document)
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(bytes)), document)
            XCTAssertEqual(scanJSON(bytes).failure?.code, .invalidJSON, document)
        }
    }

    func testFoundationRefusesNumbersBeyondDoubleWhichTheScannerAccepts() {
        for document in [#"{"a":1e400}"#, #"{"a":-2E+999}"#, #"{"a":[\#(String(repeating: "9", count: 400))]}"#] {
            let bytes = Array(document.utf8)
            XCTAssertEqual(JSONMutations.foundationDifference(bytes), .numberBeyondDouble, document)
            XCTAssertNoThrow(try scanJSON(bytes).get(), document)
            XCTAssertNil(try? JSONSerialization.jsonObject(with: Data(bytes)), document)
        }
        XCTAssertNil(JSONMutations.foundationDifference(Array(#"{"a":1e300,"b":"1e400"}"#.utf8)))
    }

    /// A random valid JSON value: random whitespace, number forms, escapes, raw UTF-8 and nesting.
    static func randomValue(_ random: inout SplitMix64, depth: Int) -> String {
        func pick<T>(_ options: [T]) -> T { options[Int.random(in: 0..<options.count, using: &random)] }
        func space() -> String { pick(["", "", "", " ", "\n", "\t ", "\r\n"]) }
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &random) {
        case 0:
            var number = pick(["", "-"]) + pick(["0", "7", "42", "1234567890123", "99"])
            if Bool.random(using: &random) { number += "." + pick(["0", "5", "25", "000001"]) }
            if Bool.random(using: &random) { number += pick(["e", "E"]) + pick(["", "+", "-"]) + pick(["0", "5", "12", "99"]) }
            return number
        case 1:
            var text = "\""
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                text += pick(["a", "Z", " ", "é", "€", "😀", "\u{7F}", #"\""#, #"\\"#, #"\/"#, #"\n"#, #"\u0000"#, #"\u00e9"#, #"\uD83D\uDE00"#, #"\uFFFF"#, "plain text", "a longer run of plain ASCII text"])
            }
            return text + "\""
        case 2: return pick(["true", "false", "null"])
        case 3: return pick(["[]", "{}", "\"\""])
        case 4:
            let items = (0..<Int.random(in: 0...4, using: &random)).map { _ in space() + randomValue(&random, depth: depth + 1) + space() }
            return "[" + items.joined(separator: ",") + "]"
        default:
            return randomObject(&random, depth: depth + 1)
        }
    }

    static func randomObject(_ random: inout SplitMix64, depth: Int) -> String {
        var members: [String] = []
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            var name = randomValue(&random, depth: 10)
            while !name.hasPrefix("\"") { name = randomValue(&random, depth: 10) }
            members.append(" " + name + " :" + randomValue(&random, depth: depth) + "\n")
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    func testAcceptanceAgreesWithFoundationOnMutatedDocuments() {
        var random = SplitMix64(seed: 0xD1FF_E2E7)
        var agreedValid = 0, agreedInvalid = 0, excluded = 0, disagreements = 0, trailingCommaCases = 0
        for iteration in 0..<6_000 {
            let base = iteration % 2 == 0 ? Self.seeds[iteration / 2 % Self.seeds.count] : Self.randomObject(&random, depth: 1)
            var bytes = Array(base.utf8)
            for _ in 0..<Int.random(in: 0...3, using: &random) { JSONMutations.mutate(&bytes, &random) }
            let ours = scanJSON(bytes)
            var ourVerdict = ours
            switch JSONMutations.foundationDifference(bytes) {
            case .encodingGuess:
                XCTAssertEqual(ours.failure?.code, .invalidJSON, "\(bytes)")
                excluded += 1
                continue
            case .numberBeyondDouble:
                excluded += 1
                continue
            case .trailingCommas(let removed):
                XCTAssertEqual(ours.failure?.code, .invalidJSON, "\(bytes)")
                ourVerdict = scanJSON(removed)
                trailingCommaCases += 1
            case nil:
                break
            }
            let oursIsObject = (try? ourVerdict.get()) != nil
            let oursIsJSON = oursIsObject || ourVerdict.failure?.code == .notAnObject
            let theirs = try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)
            let theirsIsObject = theirs is [String: Any]
            let theirsIsJSON = theirs != nil
            if oursIsJSON != theirsIsJSON || oursIsObject != theirsIsObject {
                disagreements += 1
                if disagreements <= 40 {
                    XCTFail("disagreement: ours \(oursIsJSON)/\(oursIsObject) (\(ours.failure.map(String.init(describing:)) ?? "ok")), Foundation \(theirsIsJSON)/\(theirsIsObject): \(bytes) \(String(decoding: bytes, as: UTF8.self).debugDescription)")
                }
            } else if oursIsJSON {
                agreedValid += 1
            } else {
                agreedInvalid += 1
            }
        }
        let summary = "\(agreedValid) valid, \(agreedInvalid) invalid, \(excluded) excluded, \(trailingCommaCases) with trailing commas"
        XCTAssertEqual(disagreements, 0, summary)
        // The mutations must produce a real mix, or the comparison proves little.
        XCTAssertGreaterThan(agreedValid, 1_500, summary)
        XCTAssertGreaterThan(agreedInvalid, 2_500, summary)
        XCTAssertGreaterThan(trailingCommaCases, 5, summary)
        XCTAssertLessThan(excluded, 100, summary)
    }
}
