import NIOCore

// Writing JSON strings straight from bytes, for payloads that arrive as bytes and leave as JSON text
// (a client's text message inside an app-protocol event) without a detour through `String`.

extension JSONText {
    /// Appends `bytes`, read as UTF-8 text, to `buffer` as a JSON string literal, quotes included
    /// (RFC 8259 §7).
    ///
    /// Quote and backslash are escaped, as are the control characters U+0000–U+001F (`\n`, `\r`, `\t`,
    /// `\b`, `\f` by name, the others as `\u00XX`); every other character is copied as it stands.
    /// Runs of plain ASCII are copied eight bytes at a time.
    ///
    /// The bytes are expected to be valid UTF-8 (for example a WebSocket text message, which the
    /// receive side has validated). Should they not be, each byte that does not start a well-formed
    /// sequence is written as `\ufffd` (U+FFFD REPLACEMENT CHARACTER), so the output is always valid
    /// JSON in valid UTF-8.
    ///
    /// - Returns: the number of bytes appended.
    @discardableResult
    public static func writeQuoted(_ bytes: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) -> Int {
        let start = buffer.writerIndex
        // Plain text grows by the two quotes only; reserve that, escapes grow the buffer as needed.
        buffer.reserveCapacity(minimumWritableBytes: bytes.count + 2)
        buffer.writeInteger(UInt8(ascii: "\""))
        let end = bytes.count
        var index = 0
        var runStart = 0
        while index < end {
            // Plain ASCII runs go eight bytes at a time.
            while end - index >= 8 {
                let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                if JSONCursor.needsAttention(word) { break }
                index += 8
            }
            guard index < end else { break }
            let byte = bytes[index]
            if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte < 0x80 {
                index += 1
                continue
            }
            if byte >= 0x80 {
                let length = utf8SequenceLength(bytes, at: index)
                if length > 0 {
                    index += length
                    continue
                }
            }
            // `byte` needs an escape or a replacement: flush the run before it.
            if index > runStart {
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
            }
            writeEscape(for: byte, into: &buffer)
            index += 1
            runStart = index
        }
        if end > runStart {
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<end]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
        return buffer.writerIndex - start
    }

    /// Appends the readable bytes of `bytes` to `buffer` as a JSON string literal, as the
    /// `UnsafeRawBufferPointer` overload does.
    @discardableResult
    public static func writeQuoted(_ bytes: ByteBuffer, into buffer: inout ByteBuffer) -> Int {
        bytes.withUnsafeReadableBytes { writeQuoted($0, into: &buffer) }
    }

    /// Appends `string` to `buffer` as a JSON string literal, quotes included.
    @discardableResult
    public static func writeQuoted(_ string: String, into buffer: inout ByteBuffer) -> Int {
        var string = string
        return string.withUTF8 { writeQuoted(UnsafeRawBufferPointer($0), into: &buffer) }
    }

    /// The escape for `byte`, which is a quote, a backslash, a control character or a byte that does
    /// not start valid UTF-8 (written as U+FFFD).
    @inline(__always)
    static func writeEscape(for byte: UInt8, into buffer: inout ByteBuffer) {
        switch byte {
        case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
        case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
        case 0x0A: buffer.writeStaticString("\\n")
        case 0x0D: buffer.writeStaticString("\\r")
        case 0x09: buffer.writeStaticString("\\t")
        case 0x08: buffer.writeStaticString("\\b")
        case 0x0C: buffer.writeStaticString("\\f")
        case 0..<0x20:
            let digits: StaticString = "0123456789abcdef"
            buffer.writeStaticString("\\u00")
            buffer.writeInteger(digits.utf8Start[Int(byte >> 4)])
            buffer.writeInteger(digits.utf8Start[Int(byte & 0x0F)])
        default:
            buffer.writeStaticString("\\ufffd")
        }
    }

    /// The length of the well-formed UTF-8 sequence starting at `index` (whose byte is at least 0x80),
    /// or 0 if there is none, by the same rules as the scanner (Unicode Table 3-7).
    @inline(__always)
    static func utf8SequenceLength(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int {
        var cursor = JSONCursor(bytes: bytes, start: index, end: bytes.count, maxDepth: 0)
        do throws(JSONScanError) {
            try cursor.scanUTF8Sequence(lead: bytes[index])
            return cursor.index - index
        } catch {
            return 0
        }
    }
}
