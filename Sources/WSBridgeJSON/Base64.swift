import NIOCore

/// Standard base64 (RFC 4648 §4): how binary data travels inside JSON (envelopes, the app protocol).
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output.append(contentsOf: (0..<4).map { self.alphabet[Int(value >> (18 - 6 * UInt32($0)) & 0x3F)] })
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            var value = UInt32(bytes[index]) << 16
            if rest == 2 { value |= UInt32(bytes[index + 1]) << 8 }
            output.append(self.alphabet[Int(value >> 18 & 0x3F)])
            output.append(self.alphabet[Int(value >> 12 & 0x3F)])
            output.append(rest == 2 ? self.alphabet[Int(value >> 6 & 0x3F)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension Base64 {
    /// Decodes `text` (padding optional; no whitespace; leftover bits in the last character need not
    /// be zero), or returns nil if it is not base64.
    public static func decode(_ text: UnsafeRawBufferPointer) -> ByteBuffer? {
        var length = text.count
        var padding = 0
        while length > 0, text[length - 1] == UInt8(ascii: "=") {
            length -= 1
            padding += 1
        }
        guard padding <= 2, padding == 0 || (length + padding) % 4 == 0, length % 4 != 1 else { return nil }
        let outputCount = length / 4 * 3 + max(length % 4 - 1, 0)
        var output = ByteBufferAllocator().buffer(capacity: outputCount)
        var valid = true
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: outputCount) { out in
            var index = 0
            var written = 0
            // Whole groups of four characters make three bytes.
            while length - index >= 4 {
                let a = sextet(text[index]), b = sextet(text[index + 1])
                let c = sextet(text[index + 2]), d = sextet(text[index + 3])
                guard (a | b | c | d) < 64 else {
                    valid = false
                    return 0
                }
                let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                out[written] = UInt8(truncatingIfNeeded: group >> 16)
                out[written + 1] = UInt8(truncatingIfNeeded: group >> 8)
                out[written + 2] = UInt8(truncatingIfNeeded: group)
                index += 4
                written += 3
            }
            // Two or three characters left make one or two bytes; unused low bits are ignored.
            if length - index >= 2 {
                let a = sextet(text[index]), b = sextet(text[index + 1])
                let c = length - index == 3 ? sextet(text[index + 2]) : 0
                guard (a | b | c) < 64 else {
                    valid = false
                    return 0
                }
                let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
                out[written] = UInt8(truncatingIfNeeded: group >> 16)
                written += 1
                if length - index == 3 {
                    out[written] = UInt8(truncatingIfNeeded: group >> 8)
                    written += 1
                }
            }
            return written
        }
        return valid ? output : nil
    }

    /// The 6-bit value of one base64 character, or 0xFF for any other byte.
    @inline(__always)
    static func sextet(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte &- UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte &- UInt8(ascii: "a") &+ 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- UInt8(ascii: "0") &+ 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return 0xFF
        }
    }
}
