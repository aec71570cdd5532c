import Foundation
import NIOCore
import WSBridgeProtocol
import XCTest

/// A small deterministic generator (SplitMix64), so a failure replays exactly.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class AppRequestParserRobustnessTests: XCTestCase {
    func testMutatedRequestsNeverTrapAndFailOnlyWithDocumentedCodes() {
        var random = SeededGenerator(state: 0xA99_50C7)
        let seeds = AppRequestParserErrorTests.validRequests.map { Array(object($0).utf8) }
        let interesting: [UInt8] = Array(#"{}[]",:\/u0 1-.eE"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xE2, 0xED, 0xF0, 0xFF]
        let documented = Set(AppProtocolError.Code.allVersion1)
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
            switch AppRequestParser.parse(ByteBuffer(bytes: bytes)) {
            case .success(let request):
                outcomes["ok", default: 0] += 1
                // Whatever parsed must have been a valid JSON object.
                let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
                XCTAssertNotNil(object, "parsed, but Foundation disagrees: \(String(decoding: bytes, as: UTF8.self))")
                XCTAssertFalse(request.type.isEmpty)
            case .failure(let error):
                outcomes[error.code.rawValue, default: 0] += 1
                XCTAssertTrue(documented.contains(error.code), "\(error)")
                XCTAssertFalse(error.closesConnection, "a parse error never closes the connection: \(error)")
            }
        }
        // The mutations must have exercised more than one path for this test to mean anything.
        XCTAssertGreaterThan(outcomes.count, 4, "\(outcomes)")
    }
}
