import NIOCore

extension Base64 {
    /// Appends the base64 text of `bytes` to `buffer`, without the intermediate array and string of
    /// ``encode(_:variant:)``; for payloads written straight into a frame.
    ///
    /// - Returns: the number of bytes appended (``encodedCount(_:variant:)``: standard,
    ///   `(bytes.count + 2) / 3 * 4`).
    @discardableResult
    public static func write(_ bytes: UnsafeRawBufferPointer, variant: Variant = .standard, into buffer: inout ByteBuffer) -> Int {
        let outputCount = Self.encodedCount(bytes.count, variant: variant)
        guard outputCount > 0 else { return 0 }
        return buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: outputCount) { output in
            Self.encode(bytes, variant: variant, into: output)
        }
    }

    /// Appends the base64 text of the readable bytes of `bytes` to `buffer`.
    @discardableResult
    public static func write(_ bytes: ByteBuffer, variant: Variant = .standard, into buffer: inout ByteBuffer) -> Int {
        bytes.withUnsafeReadableBytes { Self.write($0, variant: variant, into: &buffer) }
    }

    /// Decodes standard base64 `text` (padding optional; no whitespace; leftover bits in the last
    /// character need not be zero), or returns nil if it is not base64.
    public static func decode(_ text: UnsafeRawBufferPointer) -> ByteBuffer? {
        let capacity = Self.decodedCapacity(text.count)
        var output = ByteBufferAllocator().buffer(capacity: capacity)
        var valid = true
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { output in
            let written = Self.decode(text, variant: .standard, into: output)
            valid = written != nil
            return written ?? 0
        }
        return valid ? output : nil
    }
}
