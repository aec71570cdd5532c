/// Reads header field values as comma-separated lists of tokens (RFC 9110 §5.6.1), in place: on the
/// handshake's path, where splitting values into new strings costs more than the rest of the check.
/// Inlinable, so that callers in other modules get them specialized for their byte collections.
public enum HeaderTokens {
    /// Whether `value` lists `token` (ASCII, any case) among its comma-separated elements.
    @inlinable
    public static func lists(_ value: String, _ token: String) -> Bool {
        var value = value
        return value.withUTF8 { bytes in
            var start = 0
            while start <= bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: ",") { end += 1 }
                if Self.equalsIgnoringCase(Self.trimmed(bytes[start..<end]), token.utf8) { return true }
                start = end + 1
            }
            return false
        }
    }

    /// `bytes` without the optional whitespace (spaces and tabs) around it.
    @inlinable
    public static func trimmed<Bytes: BidirectionalCollection>(_ bytes: Bytes) -> Bytes.SubSequence
    where Bytes.Element == UInt8 {
        let isWhitespace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isWhitespace($0) }) else { return bytes[bytes.endIndex...] }
        let last = bytes.lastIndex(where: { !isWhitespace($0) })!
        return bytes[first...last]
    }

    /// ASCII case-insensitive equality of two byte sequences, as header names and tokens compare.
    @inlinable
    public static func equalsIgnoringCase<Bytes: Collection, Other: Collection>(_ bytes: Bytes, _ token: Other) -> Bool
    where Bytes.Element == UInt8, Other.Element == UInt8 {
        bytes.count == token.count
            && zip(bytes, token).allSatisfy { a, b in
                a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= UInt8(ascii: "a") && (a | 0x20) <= UInt8(ascii: "z"))
            }
    }
}
