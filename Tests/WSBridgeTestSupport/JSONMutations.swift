import Foundation

/// A small seeded PRNG so that random tests are reproducible.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Mutations of JSON documents and the known differences between Foundation and RFC 8259, for
/// differential tests of the JSON scanner and of the parsers built on it.
public enum JSONMutations {
    /// Tokens a mutation inserts or substitutes: structure, number parts, escape parts, UTF-8 pieces.
    public static let tokens: [[UInt8]] = [
        "{", "}", "[", "]", ",", ":", "\"", "\\", " ", "\n", "0", "1", "9", "-", "+", ".", "e", "E",
        "true", "null", "false", "\"x\"", "\\u", "\\uD83D", "\\uDE00", "\\u00", "u", "é", "😀", "\u{7F}", "//", "x",
    ].map { Array($0.utf8) }
        + [[0x00], [0x01], [0x09], [0x0B], [0x1F], [0x80], [0xBF], [0xC0, 0x80], [0xC2], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF]]

    public static func mutate(_ bytes: inout [UInt8], _ random: inout SplitMix64) {
        let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
        let token = tokens[Int.random(in: 0..<tokens.count, using: &random)]
        switch Int.random(in: 0..<6, using: &random) {
        case 0: bytes.insert(contentsOf: token, at: position)
        case 1 where !bytes.isEmpty: bytes.remove(at: position)
        case 2 where !bytes.isEmpty: bytes.replaceSubrange(position...position, with: token)
        case 3 where !bytes.isEmpty:
            let end = min(bytes.count, position + Int.random(in: 1...6, using: &random))
            let slice = Array(bytes[position..<end])
            bytes.insert(contentsOf: slice, at: Int.random(in: 0...bytes.count, using: &random))
        case 4 where !bytes.isEmpty: bytes.removeSubrange(position..<bytes.count)
        default: bytes.insert(contentsOf: token, at: bytes.count)
        }
    }

    /// Where Foundation's `JSONSerialization` (swift-corelibs-foundation) and RFC 8259 part ways. Each
    /// difference is pinned by a test below, so the comparison cannot silently hide anything else.
    ///
    /// 1. Foundation guesses the encoding: a byte-order mark, or a NUL among the first four bytes, makes
    ///    it read UTF-16 or UTF-32 (or skip a UTF-8 BOM). RFC 8259 §8.1 requires UTF-8 without a BOM on
    ///    the wire; the scanner refuses all of these. Such inputs are compared one-sidedly: the scanner
    ///    must refuse them.
    /// 2. Foundation accepts one trailing comma after the last member or element (`{"a":1,}`, `[1,]`).
    ///    The scanner refuses it; Foundation's verdict must then equal the scanner's on the same bytes
    ///    with those commas removed.
    /// 3. Foundation refuses numbers beyond `Double`'s range (`1e400`), as RFC 8259 §6 allows; the
    ///    scanner accepts them (it never converts numbers, and forwards them as text). Such inputs
    ///    are left out.
    public enum FoundationDifference: Equatable {
        case encodingGuess
        case trailingCommas(removed: [UInt8])
        case numberBeyondDouble
    }

    public static func foundationDifference(_ bytes: [UInt8]) -> FoundationDifference? {
        let boms: [[UInt8]] = [[0xEF, 0xBB, 0xBF], [0xFE, 0xFF], [0xFF, 0xFE]]
        if boms.contains(where: { bytes.starts(with: $0) }) || bytes.prefix(4).contains(0) {
            return .encodingGuess
        }
        let whitespace: [UInt8] = [0x20, 0x09, 0x0A, 0x0D]
        var trailingCommas: [Int] = []
        var lastSignificant: UInt8?
        var index = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    lastSignificant = byte
                }
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                let start = index
                while index < bytes.count, Array("0123456789+-.eE".utf8).contains(bytes[index]) { index += 1 }
                if let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)), value.isInfinite {
                    return .numberBeyondDouble
                }
                lastSignificant = bytes[index - 1]
                continue
            } else if byte == UInt8(ascii: ","), let previous = lastSignificant, !Array("[{,:".utf8).contains(previous) {
                var next = index + 1
                while next < bytes.count, whitespace.contains(bytes[next]) { next += 1 }
                if next < bytes.count, bytes[next] == UInt8(ascii: "}") || bytes[next] == UInt8(ascii: "]") {
                    trailingCommas.append(index)
                }
            }
            if !whitespace.contains(byte) { lastSignificant = byte }
            index += 1
        }
        guard !trailingCommas.isEmpty else { return nil }
        var removed = bytes
        for position in trailingCommas.reversed() { removed.remove(at: position) }
        return .trailingCommas(removed: removed)
    }
}
