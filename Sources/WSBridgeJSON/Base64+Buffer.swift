import NIOCore

extension Base64 {
    /// Appends the base64 text of `bytes` (standard alphabet, with padding) to `buffer`, without the
    /// intermediate array and string of ``encode(_:)``; for payloads written straight into a frame.
    ///
    /// - Returns: the number of bytes appended: `(bytes.count + 2) / 3 * 4`.
    @discardableResult
    public static func write(_ bytes: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) -> Int {
        let outputCount = (bytes.count + 2) / 3 * 4
        guard outputCount > 0 else { return 0 }
        return alphabet.withUnsafeBufferPointer { alphabet in
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: outputCount) { out in
                var index = 0
                var written = 0
                while bytes.count - index >= 3 {
                    let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                    out[written] = alphabet[Int(value >> 18 & 0x3F)]
                    out[written + 1] = alphabet[Int(value >> 12 & 0x3F)]
                    out[written + 2] = alphabet[Int(value >> 6 & 0x3F)]
                    out[written + 3] = alphabet[Int(value & 0x3F)]
                    index += 3
                    written += 4
                }
                let rest = bytes.count - index
                if rest > 0 {
                    var value = UInt32(bytes[index]) << 16
                    if rest == 2 { value |= UInt32(bytes[index + 1]) << 8 }
                    out[written] = alphabet[Int(value >> 18 & 0x3F)]
                    out[written + 1] = alphabet[Int(value >> 12 & 0x3F)]
                    out[written + 2] = rest == 2 ? alphabet[Int(value >> 6 & 0x3F)] : UInt8(ascii: "=")
                    out[written + 3] = UInt8(ascii: "=")
                    written += 4
                }
                return written
            }
        }
    }

    /// Appends the base64 text of the readable bytes of `bytes` to `buffer`.
    @discardableResult
    public static func write(_ bytes: ByteBuffer, into buffer: inout ByteBuffer) -> Int {
        bytes.withUnsafeReadableBytes { write($0, into: &buffer) }
    }
}
