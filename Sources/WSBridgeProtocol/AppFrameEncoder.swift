import NIOCore

/// Prefixes each outbound frame body (one JSON object's bytes) with its length: 4 bytes, unsigned,
/// big-endian, as drawn on ``AppFrameDecoder``.
///
/// Events built by ``AppEventEncoder/frame(_:allocator:)`` already carry their prefix and should be
/// written below this encoder (or without it); this encoder is for JSON bytes made elsewhere, such as
/// ``AppEventEncoder/encode(_:allocator:)``'s output or a client library's requests.
public struct AppFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = ByteBuffer

    public init() {}

    /// - Throws: ``AppProtocolError`` (``AppProtocolError/Code/frameTooLarge``) for an empty body or
    ///   one too long for a 32-bit length.
    public func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        guard data.readableBytes > 0, data.readableBytes <= Int(UInt32.max) else {
            throw AppProtocolError(
                code: .frameTooLarge,
                message: "cannot frame \(data.readableBytes) bytes: a frame holds 1 to \(UInt32.max) bytes"
            )
        }
        out.reserveCapacity(minimumWritableBytes: AppFrameDecoder.lengthFieldBytes + data.readableBytes)
        out.writeInteger(UInt32(data.readableBytes), endianness: .big)
        out.writeImmutableBuffer(data)
    }
}

extension AppFrameEncoder {
    /// One whole frame in one buffer: a placeholder length, the body `write` appends, then the real
    /// length patched in. Ready to go to the socket as it is.
    static func frame(
        estimatedBodySize: Int, allocator: ByteBufferAllocator, _ write: (inout ByteBuffer) -> Void
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: AppFrameDecoder.lengthFieldBytes + estimatedBodySize)
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(0), endianness: .big)
        write(&buffer)
        let length = buffer.writerIndex - start - AppFrameDecoder.lengthFieldBytes
        buffer.setInteger(UInt32(truncatingIfNeeded: length), at: start, endianness: .big)
        return buffer
    }
}
