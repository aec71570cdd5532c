/// Base64 (RFC 4648) in its two variants: the one implementation behind binary data inside JSON
/// (envelopes, the app protocol: ``Variant/standard``) and JWS tokens (``Variant/url``).
///
/// ```
///  bytes   [ 8 bits ][ 8 bits ][ 8 bits ]
///  text    [ 6 ][ 6 ][ 6 ][ 6 ]             4 characters per 3 bytes; 1 or 2 bytes left make
///                                           2 or 3 characters (then "==" or "=" with padding)
/// ```
public enum Base64 {
    /// The alphabet and the rules of one variant.
    public enum Variant: Sendable {
        /// RFC 4648 §4, `+` and `/`: encodes with `=` padding; decodes leniently (padding optional, the
        /// unused low bits of the last character ignored), as JSON producers write it.
        case standard
        /// RFC 4648 §5, `-` and `_`, as JWS compact serialization uses it (RFC 7515 §2): encodes without
        /// padding; decodes only the canonical form (no `=`, zero unused low bits), so a byte string
        /// has exactly one accepted text.
        case url
    }

    /// The characters of `bytes` in `variant` (standard: with padding).
    public static func encode<Bytes: Collection>(_ bytes: Bytes, variant: Variant = .standard) -> String
    where Bytes.Element == UInt8 {
        if let text = bytes.withContiguousStorageIfAvailable({ Self.encodeString(UnsafeRawBufferPointer($0), variant) }) {
            return text
        }
        return Array(bytes).withUnsafeBytes { Self.encodeString($0, variant) }
    }

    /// The number of characters `byteCount` bytes encode to.
    public static func encodedCount(_ byteCount: Int, variant: Variant = .standard) -> Int {
        switch variant {
        case .standard: return (byteCount + 2) / 3 * 4
        case .url: return byteCount / 3 * 4 + [0, 2, 3][byteCount % 3]
        }
    }

    /// The bytes `text` decodes to in `variant`, or nil if it is not base64 of that variant.
    public static func decode<Text: Collection>(_ text: Text, variant: Variant) -> [UInt8]? where Text.Element == UInt8 {
        if let bytes = text.withContiguousStorageIfAvailable({ Self.decodeArray(UnsafeRawBufferPointer($0), variant) }) {
            return bytes
        }
        return Array(text).withUnsafeBytes { Self.decodeArray($0, variant) }
    }

    /// The most bytes `characterCount` characters decode to (padding counted as characters).
    public static func decodedCapacity(_ characterCount: Int) -> Int {
        characterCount / 4 * 3 + max(characterCount % 4 - 1, 0)
    }

    /// Encodes `bytes` into `output`, which holds at least ``encodedCount(_:variant:)`` bytes; returns
    /// that count.
    public static func encode(
        _ bytes: UnsafeRawBufferPointer, variant: Variant, into output: UnsafeMutableRawBufferPointer
    ) -> Int {
        let alphabet = variant == .standard ? Self.standardAlphabet : Self.urlAlphabet
        return alphabet.withUnsafeBufferPointer { alphabet in
            var index = 0
            var written = 0
            while bytes.count - index >= 3 {
                let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                output[written] = alphabet[Int(value >> 18 & 0x3F)]
                output[written + 1] = alphabet[Int(value >> 12 & 0x3F)]
                output[written + 2] = alphabet[Int(value >> 6 & 0x3F)]
                output[written + 3] = alphabet[Int(value & 0x3F)]
                index += 3
                written += 4
            }
            let rest = bytes.count - index
            guard rest > 0 else { return written }
            var value = UInt32(bytes[index]) << 16
            if rest == 2 { value |= UInt32(bytes[index + 1]) << 8 }
            output[written] = alphabet[Int(value >> 18 & 0x3F)]
            output[written + 1] = alphabet[Int(value >> 12 & 0x3F)]
            written += 2
            if rest == 2 {
                output[written] = alphabet[Int(value >> 6 & 0x3F)]
                written += 1
            }
            if variant == .standard {
                for _ in rest...2 {
                    output[written] = UInt8(ascii: "=")
                    written += 1
                }
            }
            return written
        }
    }

    /// Decodes `text` into `output`, which holds at least ``decodedCapacity(_:)`` bytes; returns the
    /// count of bytes decoded, or nil if `text` is not base64 of `variant` (see ``Variant``).
    public static func decode(
        _ text: UnsafeRawBufferPointer, variant: Variant, into output: UnsafeMutableRawBufferPointer
    ) -> Int? {
        var length = text.count
        if variant == .standard {
            var padding = 0
            while length > 0, text[length - 1] == UInt8(ascii: "=") {
                length -= 1
                padding += 1
            }
            guard padding <= 2, padding == 0 || (length + padding) % 4 == 0 else { return nil }
        }
        guard length % 4 != 1 else { return nil }
        let table = variant == .standard ? Self.standardSextets : Self.urlSextets
        return table.withUnsafeBufferPointer { sextets -> Int? in
            var index = 0
            var written = 0
            // Whole groups of four characters make three bytes.
            while length - index >= 4 {
                let a = sextets[Int(text[index])], b = sextets[Int(text[index + 1])]
                let c = sextets[Int(text[index + 2])], d = sextets[Int(text[index + 3])]
                guard (a | b | c | d) < 64 else { return nil }
                let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                output[written] = UInt8(truncatingIfNeeded: group >> 16)
                output[written + 1] = UInt8(truncatingIfNeeded: group >> 8)
                output[written + 2] = UInt8(truncatingIfNeeded: group)
                index += 4
                written += 3
            }
            // Two or three characters left make one or two bytes.
            let rest = length - index
            guard rest >= 2 else { return written }
            let a = sextets[Int(text[index])], b = sextets[Int(text[index + 1])]
            let c = rest == 3 ? sextets[Int(text[index + 2])] : 0
            guard (a | b | c) < 64 else { return nil }
            let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
            // The unused low bits: ignored in the standard variant, zero in the canonical url form.
            guard variant == .standard || group & (rest == 2 ? 0xFFFF : 0xFF) == 0 else { return nil }
            output[written] = UInt8(truncatingIfNeeded: group >> 16)
            written += 1
            if rest == 3 {
                output[written] = UInt8(truncatingIfNeeded: group >> 8)
                written += 1
            }
            return written
        }
    }

    private static func encodeString(_ bytes: UnsafeRawBufferPointer, _ variant: Variant) -> String {
        String(unsafeUninitializedCapacity: Self.encodedCount(bytes.count, variant: variant)) { output in
            Self.encode(bytes, variant: variant, into: UnsafeMutableRawBufferPointer(output))
        }
    }

    private static func decodeArray(_ text: UnsafeRawBufferPointer, _ variant: Variant) -> [UInt8]? {
        var valid = true
        let bytes = [UInt8](unsafeUninitializedCapacity: Self.decodedCapacity(text.count)) { output, initialized in
            let written = Self.decode(text, variant: variant, into: UnsafeMutableRawBufferPointer(output))
            valid = written != nil
            initialized = written ?? 0
        }
        return valid ? bytes : nil
    }

    static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let urlAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    /// Each byte's 6-bit value in the alphabet, 0xFF for a byte outside it.
    static let standardSextets = Self.sextets(of: Self.standardAlphabet)
    static let urlSextets = Self.sextets(of: Self.urlAlphabet)

    private static func sextets(of alphabet: [UInt8]) -> [UInt8] {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }
}
