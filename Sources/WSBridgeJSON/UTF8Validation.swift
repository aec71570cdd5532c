/// UTF-8 validation, whole or as the bytes arrive.
public enum UTF8Validation {
    /// Whether `bytes` are well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
    public static func isValid<Bytes: Sequence>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        var validator = UTF8StreamValidator()
        return validator.feed(bytes) && validator.isComplete
    }
}

/// Validates UTF-8 as it arrives, in pieces cut anywhere (a WebSocket text message's fragments), and
/// says "invalid" at the first byte that no well-formed text could continue with: the well-formed
/// byte sequences of the Unicode Standard, Table 3-7, where the second byte of a sequence is narrowed
/// after `E0` (no overlong), `ED` (no surrogate), `F0` (no overlong) and `F4` (nothing past U+10FFFF).
public struct UTF8StreamValidator: Sendable {
    /// Continuation bytes still due for the current character.
    private var needed: UInt8 = 0
    /// The range the next continuation byte must be in.
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    public init() {}

    /// Takes the next bytes; false as soon as they cannot be part of well-formed UTF-8 (the validator is
    /// then of no further use).
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        for byte in bytes {
            if self.needed == 0 {
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: self.needed = 1
                case 0xE0: self.needed = 2; self.lower = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: self.needed = 2
                case 0xED: self.needed = 2; self.upper = 0x9F
                case 0xF0: self.needed = 3; self.lower = 0x90
                case 0xF1...0xF3: self.needed = 3
                case 0xF4: self.needed = 3; self.upper = 0x8F
                default: return false
                }
            } else {
                guard byte >= self.lower, byte <= self.upper else { return false }
                self.lower = 0x80
                self.upper = 0xBF
                self.needed -= 1
            }
        }
        return true
    }

    /// Whether what was fed ends on a complete character.
    public var isComplete: Bool { self.needed == 0 }
}
