import Foundation

/// Strict base64url without padding, as JWS compact serialization uses it (RFC 7515 §2, RFC 4648 §5).
///
/// Decoding accepts only the canonical form: the alphabet `A–Z a–z 0–9 - _`, no `=` padding, no
/// whitespace, no length that leaves a single dangling character, and zero bits in the unused low
/// bits of the last character. Anything else decodes to `nil`, so a given byte string has exactly
/// one accepted text form.
public enum Base64URL {
    /// Decodes canonical unpadded base64url text, or returns `nil` if `text` is not exactly that.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decodeBytes(text.utf8)
    }

    /// Encodes `bytes` as base64url without padding.
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let capacity = (bytes.count / 3) * 4 + 3
        var output = [UInt8]()
        output.reserveCapacity(capacity)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = iterator.next()
            let group = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            output.append(alphabet(group >> 18))
            output.append(alphabet(group >> 12))
            if second != nil { output.append(alphabet(group >> 6)) }
            if third != nil { output.append(alphabet(group)) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes into a fresh array; `nil` if the text is not canonical unpadded base64url.
    static func decodeBytes<Text: Collection>(_ text: Text) -> [UInt8]? where Text.Element == UInt8 {
        guard let count = decodedCount(forEncodedCount: text.count) else { return nil }
        var valid = false
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            valid = decodeFast(text, into: buffer)
            initialized = valid ? count : 0
        }
        return valid ? bytes : nil
    }

    /// Decodes into `Data` (what `JSONDecoder` reads) without an intermediate array.
    static func decodeData<Text: Collection>(_ text: Text) -> Data? where Text.Element == UInt8 {
        guard let count = decodedCount(forEncodedCount: text.count) else { return nil }
        var data = Data(count: count)
        let valid = data.withUnsafeMutableBytes { raw in
            decodeFast(text, into: raw.bindMemory(to: UInt8.self))
        }
        return valid ? data : nil
    }

    /// The number of bytes `encodedCount` characters decode to, or `nil` for an impossible length.
    private static func decodedCount(forEncodedCount encodedCount: Int) -> Int? {
        switch encodedCount % 4 {
        case 0: return encodedCount / 4 * 3
        case 2: return encodedCount / 4 * 3 + 1
        case 3: return encodedCount / 4 * 3 + 2
        default: return nil
        }
    }

    /// Decodes from the text's contiguous storage when it has one (a native string's UTF-8 does),
    /// which is several times faster than walking a `String.UTF8View` element by element.
    private static func decodeFast<Text: Collection>(
        _ text: Text, into buffer: UnsafeMutableBufferPointer<UInt8>
    ) -> Bool where Text.Element == UInt8 {
        if let valid = text.withContiguousStorageIfAvailable({ decode($0, into: buffer) }) {
            return valid
        }
        return decode(text, into: buffer)
    }

    /// Decodes `text` into `buffer`, whose count must be `decodedCount(forEncodedCount: text.count)`.
    /// Returns `false` on any non-alphabet character or non-zero trailing bits.
    private static func decode<Text: Collection>(
        _ text: Text, into buffer: UnsafeMutableBufferPointer<UInt8>
    ) -> Bool where Text.Element == UInt8 {
        var accumulator: UInt32 = 0
        var pending = 0
        var written = 0
        for character in text {
            guard let sextet = value(of: character) else { return false }
            accumulator = accumulator << 6 | UInt32(sextet)
            pending += 1
            if pending == 4 {
                guard written + 3 <= buffer.count else { return false }
                buffer[written] = UInt8(truncatingIfNeeded: accumulator >> 16)
                buffer[written + 1] = UInt8(truncatingIfNeeded: accumulator >> 8)
                buffer[written + 2] = UInt8(truncatingIfNeeded: accumulator)
                written += 3
                accumulator = 0
                pending = 0
            }
        }
        switch pending {
        case 0:
            break
        case 2:
            // 12 bits carry one byte; the low 4 must be zero.
            guard accumulator & 0x0F == 0, written + 1 <= buffer.count else { return false }
            buffer[written] = UInt8(truncatingIfNeeded: accumulator >> 4)
            written += 1
        case 3:
            // 18 bits carry two bytes; the low 2 must be zero.
            guard accumulator & 0x03 == 0, written + 2 <= buffer.count else { return false }
            buffer[written] = UInt8(truncatingIfNeeded: accumulator >> 10)
            buffer[written + 1] = UInt8(truncatingIfNeeded: accumulator >> 2)
            written += 2
        default:
            return false
        }
        return written == buffer.count
    }

    /// The 6-bit value of a base64url character, or `nil` outside the alphabet.
    @inline(__always)
    private static func value(of character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return character &- UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return character &- UInt8(ascii: "a") &+ 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character &- UInt8(ascii: "0") &+ 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        default: return nil
        }
    }

    /// The base64url character for the low 6 bits of `bits`.
    @inline(__always)
    private static func alphabet(_ bits: UInt32) -> UInt8 {
        let value = UInt8(truncatingIfNeeded: bits & 0x3F)
        switch value {
        case 0..<26: return UInt8(ascii: "A") &+ value
        case 26..<52: return UInt8(ascii: "a") &+ (value &- 26)
        case 52..<62: return UInt8(ascii: "0") &+ (value &- 52)
        case 62: return UInt8(ascii: "-")
        default: return UInt8(ascii: "_")
        }
    }
}
