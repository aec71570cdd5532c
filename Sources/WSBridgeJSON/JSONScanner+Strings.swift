import NIOCore

// String validation (escapes, UTF-8) for the scanner, and string decoding for its callers.

extension JSONCursor {
    /// Scans the string starting at the opening quote at `index`, validating escapes and UTF-8.
    ///
    /// - Returns: whether the string contains at least one escape (if not, its content bytes are its
    ///   UTF-8 text as they stand).
    mutating func scanString() throws(JSONScanError) -> Bool {
        let open = index
        index += 1
        var hasEscapes = false
        while true {
            // Plain ASCII runs go eight bytes at a time.
            while end - index >= 8 {
                let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                if Self.needsAttention(word) { break }
                index += 8
            }
            guard index < end else { throw error("unterminated string", at: open) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return hasEscapes
            } else if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                try scanEscape()
            } else if byte < 0x20 {
                throw error("control character in a string (it must be escaped)")
            } else if byte < 0x80 {
                index += 1
            } else {
                try scanUTF8Sequence(lead: byte)
            }
        }
    }

    /// Whether any of the eight bytes is a quote, a backslash, a control character or non-ASCII.
    /// Uses the exact "has zero byte" / "has byte less than" bit tricks, which never miss a byte.
    @inline(__always)
    static func needsAttention(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* 0x22)
        let backslashes = word ^ (ones &* 0x5C)
        let hasQuote = (quotes &- ones) & ~quotes
        let hasBackslash = (backslashes &- ones) & ~backslashes
        let hasControl = (word &- ones &* 0x20) & ~word
        return ((hasQuote | hasBackslash | hasControl) & highs) | (word & highs) != 0
    }

    /// Validates one escape sequence at `index` (which holds the backslash) and moves past it.
    mutating func scanEscape() throws(JSONScanError) {
        let start = index
        guard end - index >= 2 else { throw error("unterminated escape sequence") }
        switch bytes[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
            UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 2
        case UInt8(ascii: "u"):
            guard let unit = JSONScanner.hex4(bytes, at: index + 2, end: end) else {
                throw error("invalid \\u escape (four hex digits expected)")
            }
            index += 6
            if unit & 0xFC00 == 0xD800 {
                guard end - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                    let low = JSONScanner.hex4(bytes, at: index + 2, end: end), low & 0xFC00 == 0xDC00
                else {
                    throw error("unpaired high surrogate in \\u escape", at: start)
                }
                index += 6
            } else if unit & 0xFC00 == 0xDC00 {
                throw error("unpaired low surrogate in \\u escape", at: start)
            }
        default:
            throw error("invalid escape sequence")
        }
    }

    /// Validates one multi-byte UTF-8 sequence whose lead byte is at `index` (Unicode Table 3-7):
    /// rejects stray continuation bytes, overlong forms, encoded surrogates and values past U+10FFFF.
    @inline(__always)
    mutating func scanUTF8Sequence(lead: UInt8) throws(JSONScanError) {
        @inline(__always)
        func isIn(_ offset: Int, _ low: UInt8, _ high: UInt8) -> Bool {
            index + offset < end && bytes[index + offset] >= low && bytes[index + offset] <= high
        }
        let length: Int
        let valid: Bool
        switch lead {
        case 0xC2...0xDF:
            length = 2
            valid = isIn(1, 0x80, 0xBF)
        case 0xE0:
            length = 3
            valid = isIn(1, 0xA0, 0xBF) && isIn(2, 0x80, 0xBF)
        case 0xE1...0xEC, 0xEE, 0xEF:
            length = 3
            valid = isIn(1, 0x80, 0xBF) && isIn(2, 0x80, 0xBF)
        case 0xED:
            length = 3
            valid = isIn(1, 0x80, 0x9F) && isIn(2, 0x80, 0xBF)
        case 0xF0:
            length = 4
            valid = isIn(1, 0x90, 0xBF) && isIn(2, 0x80, 0xBF) && isIn(3, 0x80, 0xBF)
        case 0xF1...0xF3:
            length = 4
            valid = isIn(1, 0x80, 0xBF) && isIn(2, 0x80, 0xBF) && isIn(3, 0x80, 0xBF)
        case 0xF4:
            length = 4
            valid = isIn(1, 0x80, 0x8F) && isIn(2, 0x80, 0xBF) && isIn(3, 0x80, 0xBF)
        default:
            length = 1
            valid = false
        }
        guard valid else { throw error("invalid UTF-8 in a string") }
        index += length
    }
}

extension JSONScanner {
    /// Decodes the JSON string whose raw text (with quotes) is `range` of `bytes`.
    ///
    /// The range should come from ``scanObject(_:maxDepth:)`` or
    /// ``scanArray(_:_:maxDepth:)`` over the same bytes, which validated it. Escapes are checked again
    /// as they are decoded; raw bytes are taken as the scanner validated them.
    /// - Throws: ``JSONScanError`` if the range is not a quoted string or holds a malformed escape.
    public static func decodeString(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(JSONScanError) -> String {
        let content = try stringContent(bytes, range)
        guard let firstEscape = firstBackslash(bytes, content) else {
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[content]), as: UTF8.self)
        }
        var failure: JSONScanError?
        // Unescaping never lengthens the text, so the raw length is enough capacity.
        let string = String(unsafeUninitializedCapacity: content.count) { buffer in
            do throws(JSONScanError) {
                return try unescape(bytes, content, firstEscape: firstEscape, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        return string
    }

    /// Appends the UTF-8 bytes of the JSON string whose raw text (with quotes) is `range` of `bytes` to
    /// `buffer`, without creating a `String`. Without escapes this is one plain copy of the content.
    ///
    /// The same precondition as ``decodeString(_:_:)`` applies.
    /// - Returns: the number of bytes appended.
    @discardableResult
    public static func decodeStringBytes(
        _ bytes: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        into buffer: inout ByteBuffer
    ) throws(JSONScanError) -> Int {
        let content = try stringContent(bytes, range)
        guard let firstEscape = firstBackslash(bytes, content) else {
            return buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[content]))
        }
        var failure: JSONScanError?
        let written = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: content.count) { output in
            do throws(JSONScanError) {
                return try unescape(bytes, content, firstEscape: firstEscape, into: output)
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        return written
    }

    /// Whether the JSON string whose raw text is `range` contains an escape (if not, its content bytes
    /// are its text).
    public static func stringHasEscapes(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        guard let content = try? stringContent(bytes, range) else { return false }
        return firstBackslash(bytes, content) != nil
    }

    /// The range between the quotes, after checking that `range` is a quoted string inside `bytes`.
    static func stringContent(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(JSONScanError) -> Range<Int> {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count, range.count >= 2,
            bytes[range.lowerBound] == UInt8(ascii: "\""), bytes[range.upperBound - 1] == UInt8(ascii: "\"")
        else {
            throw JSONScanError(offset: max(range.lowerBound, 0), reason: "not a JSON string")
        }
        return range.lowerBound + 1..<range.upperBound - 1
    }

    @inline(__always)
    static func firstBackslash(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        let index = nextBackslash(bytes, from: range.lowerBound, end: range.upperBound)
        return index < range.upperBound ? index : nil
    }

    /// Writes the unescaped content `bytes[content]` to `output` (capacity at least `content.count`).
    static func unescape(
        _ bytes: UnsafeRawBufferPointer,
        _ content: Range<Int>,
        firstEscape: Int,
        into output: UnsafeMutableRawBufferPointer
    ) throws(JSONScanError) -> Int {
        var index = content.lowerBound
        var written = 0
        var runEnd = firstEscape
        let end = content.upperBound
        while true {
            if runEnd > index {
                let run = UnsafeRawBufferPointer(rebasing: bytes[index..<runEnd])
                UnsafeMutableRawBufferPointer(rebasing: output[written..<written + run.count]).copyMemory(from: run)
                written += run.count
                index = runEnd
            }
            guard index < end else { return written }
            // bytes[index] is a backslash.
            guard end - index >= 2 else { throw JSONScanError(offset: index, reason: "unterminated escape sequence") }
            let simple: UInt8
            switch bytes[index + 1] {
            case UInt8(ascii: "\""): simple = 0x22
            case UInt8(ascii: "\\"): simple = 0x5C
            case UInt8(ascii: "/"): simple = 0x2F
            case UInt8(ascii: "b"): simple = 0x08
            case UInt8(ascii: "f"): simple = 0x0C
            case UInt8(ascii: "n"): simple = 0x0A
            case UInt8(ascii: "r"): simple = 0x0D
            case UInt8(ascii: "t"): simple = 0x09
            case UInt8(ascii: "u"):
                let (scalar, consumed) = try unicodeEscape(bytes, at: index, end: end)
                written += writeUTF8(scalar, into: output, at: written)
                index += consumed
                runEnd = nextBackslash(bytes, from: index, end: end)
                continue
            default:
                throw JSONScanError(offset: index, reason: "invalid escape sequence")
            }
            output[written] = simple
            written += 1
            index += 2
            runEnd = nextBackslash(bytes, from: index, end: end)
        }
    }

    /// The index of the next backslash at or after `start`, or `end`.
    @inline(__always)
    static func nextBackslash(_ bytes: UnsafeRawBufferPointer, from start: Int, end: Int) -> Int {
        var index = start
        while index < end, bytes[index] != UInt8(ascii: "\\") { index += 1 }
        return index
    }

    /// Decodes the `\u` escape at `index` (a backslash), joining a surrogate pair into one scalar.
    /// - Returns: the scalar and the number of bytes consumed (6, or 12 for a pair).
    @inline(__always)
    static func unicodeEscape(_ bytes: UnsafeRawBufferPointer, at index: Int, end: Int) throws(JSONScanError) -> (UInt32, Int) {
        guard let unit = hex4(bytes, at: index + 2, end: end) else {
            throw JSONScanError(offset: index, reason: "invalid \\u escape (four hex digits expected)")
        }
        switch unit & 0xFC00 {
        case 0xD800:
            guard end - index >= 12, bytes[index + 6] == UInt8(ascii: "\\"), bytes[index + 7] == UInt8(ascii: "u"),
                let low = hex4(bytes, at: index + 8, end: end), low & 0xFC00 == 0xDC00
            else {
                throw JSONScanError(offset: index, reason: "unpaired high surrogate in \\u escape")
            }
            return (0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00), 12)
        case 0xDC00:
            throw JSONScanError(offset: index, reason: "unpaired low surrogate in \\u escape")
        default:
            return (UInt32(unit), 6)
        }
    }

    /// Writes `scalar` (a valid Unicode scalar value) as UTF-8 at `offset`; returns the bytes written.
    @inline(__always)
    static func writeUTF8(_ scalar: UInt32, into output: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        switch scalar {
        case 0..<0x80:
            output[offset] = UInt8(truncatingIfNeeded: scalar)
            return 1
        case 0x80..<0x800:
            output[offset] = UInt8(truncatingIfNeeded: 0xC0 | (scalar >> 6))
            output[offset + 1] = UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F))
            return 2
        case 0x800..<0x10000:
            output[offset] = UInt8(truncatingIfNeeded: 0xE0 | (scalar >> 12))
            output[offset + 1] = UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 6) & 0x3F))
            output[offset + 2] = UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F))
            return 3
        default:
            output[offset] = UInt8(truncatingIfNeeded: 0xF0 | (scalar >> 18))
            output[offset + 1] = UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 12) & 0x3F))
            output[offset + 2] = UInt8(truncatingIfNeeded: 0x80 | ((scalar >> 6) & 0x3F))
            output[offset + 3] = UInt8(truncatingIfNeeded: 0x80 | (scalar & 0x3F))
            return 4
        }
    }

    /// The value of the four hex digits at `offset`, or nil if they are not four hex digits before `end`.
    @inline(__always)
    static func hex4(_ bytes: UnsafeRawBufferPointer, at offset: Int, end: Int) -> UInt16? {
        guard end - offset >= 4 else { return nil }
        var value: UInt16 = 0
        for index in offset..<offset + 4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }
}
