import NIOCore
import WSBridgeProtocol
import XCTest

/// Frames that do not parse as events: each with its code, and never a trap.
final class AppEventParserErrorTests: XCTestCase {
    private func parseError(_ bytes: ByteBuffer) -> AppEventParseError? {
        switch AppEventParser.parse(bytes) {
        case .success: return nil
        case .failure(let error): return error
        }
    }

    private func parseError(_ json: String) -> AppEventParseError? {
        parseError(ByteBuffer(string: json))
    }

    func testFramesThatAreNotJSONObjectsAreRefusedByKind() {
        XCTAssertEqual(parseError("{")?.code, .invalidJSON)
        XCTAssertEqual(parseError(#"{"type":"ok",}"#)?.code, .invalidJSON)
        XCTAssertEqual(parseError(ByteBuffer(bytes: Array(#"{"type":"ok","x":""#.utf8) + [0xFF] + Array(#""}"#.utf8)))?.code, .invalidUTF8)
        XCTAssertEqual(parseError(#"["ok"]"#)?.code, .notAnObject)
        XCTAssertEqual(parseError(#"{"id":1}"#)?.code, .missingType)
        XCTAssertEqual(parseError(#"{"type":7}"#)?.code, .missingType)
    }

    func testAnUnknownTypeIsReportedForTheCallerToSkip() throws {
        let error = try XCTUnwrap(parseError(#"{"type":"typing","conn":"c1"}"#))
        XCTAssertEqual(error.code, .unknownType)
        XCTAssertTrue(error.isUnknownType)
        XCTAssertEqual(error.type, "typing")
        XCTAssertEqual(parseError(#"{"type":"hello","protocol":1}"#)?.isUnknownType, true, "requests are not events")
    }

    func testMissingMembersAreMissingFieldWithTheEventType() throws {
        let cases = [
            #"{"type":"welcome","node":"n","version":"v","limits":{"max_frame_bytes":1,"max_queue_bytes":2,"connect_timeout_ms":3}}"#,
            #"{"type":"welcome","protocol":1,"node":"n","version":"v"}"#,
            #"{"type":"welcome","protocol":1,"node":"n","version":"v","limits":{"max_frame_bytes":1,"max_queue_bytes":2}}"#,
            #"{"type":"connect","conn":"c","path":"/","query":"","remote":"r"}"#,
            #"{"type":"message","conn":"c","user":"u"}"#,
            #"{"type":"closed","conn":"c","user":"u"}"#,
            #"{"type":"deliver","user":"u","data":"x"}"#,
            #"{"type":"error","code":"internal"}"#,
            #"{"type":"shutdown"}"#,
            #"{"type":"status","id":1}"#,
        ]
        for json in cases {
            let error = try XCTUnwrap(parseError(json), json)
            XCTAssertEqual(error.code, .missingField, json)
            XCTAssertNotNil(error.type, json)
            XCTAssertFalse(error.isUnknownType, json)
        }
    }

    func testMembersOfTheWrongKindAreBadField() {
        let cases = [
            #"{"type":"ok","id":1.5}"#,
            #"{"type":"ok","id":null}"#,
            #"{"type":"welcome","protocol":2,"node":"n","version":"v","limits":{"max_frame_bytes":1,"max_queue_bytes":2,"connect_timeout_ms":3}}"#,
            #"{"type":"welcome","protocol":1,"node":"n","version":"v","limits":[]}"#,
            #"{"type":"connect","conn":"c","path":"/","query":"","headers":{"host":1},"remote":"r"}"#,
            #"{"type":"connect","conn":"c","path":"/","query":"","headers":[],"remote":"r"}"#,
            #"{"type":"message","conn":"c","user":true,"data":"x"}"#,
            #"{"type":"message","conn":"c","user":"u","data":"not base64!","binary":true}"#,
            #"{"type":"message","conn":"c","user":"u","data":"x","binary":"yes"}"#,
            #"{"type":"closed","conn":"c","user":"u","code":"1000","reason":""}"#,
            #"{"type":"error","code":"internal","message":"m","message":"n"}"#,
            #"{"type":"shutdown","drain_ms":1.5}"#,
            #"{"type":"status","status":"fine"}"#,
        ]
        for json in cases {
            XCTAssertEqual(parseError(json)?.code, .badField, json)
        }
    }

    func testTheDescriptionNamesCodeAndType() throws {
        let error = try XCTUnwrap(parseError(#"{"type":"shutdown"}"#))
        XCTAssertEqual(error.description, #"missing_field (event "shutdown"): "drain_ms" is required"#)
    }

    func testMutatedEventsNeverTrapAndFailOnlyWithDocumentedCodes() {
        var random = SplitMix64(state: 0x5EED_E7E7)
        let seeds = AppEventParserTests.everyEvent.map { Array(String(buffer: AppEventEncoder.encode($0, allocator: ByteBufferAllocator())).utf8) }
        let interesting: [UInt8] = Array(#"{}[]",:\/u0 1-.eE"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xE2, 0xED, 0xF0, 0xFF]
        let documented: Set<AppProtocolError.Code> = [.invalidUTF8, .invalidJSON, .notAnObject, .missingType, .unknownType, .missingField, .badField]
        var outcomes: [String: Int] = [:]
        for _ in 0..<3_000 {
            var bytes = seeds[Int.random(in: 0..<seeds.count, using: &random)]
            for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[index] = interesting[Int.random(in: 0..<interesting.count, using: &random)]
                case 1: bytes.remove(at: index)
                default: bytes.insert(interesting[Int.random(in: 0..<interesting.count, using: &random)], at: index)
                }
            }
            switch AppEventParser.parse(ByteBuffer(bytes: bytes)) {
            case .success(let event):
                outcomes["ok", default: 0] += 1
                XCTAssertFalse(event.type.isEmpty)
            case .failure(let error):
                outcomes[error.code.rawValue, default: 0] += 1
                XCTAssertTrue(documented.contains(error.code), "\(error)")
            }
        }
        XCTAssertGreaterThan(outcomes.count, 4, "\(outcomes)")
    }
}

/// A small deterministic generator, so a failure replays exactly.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
