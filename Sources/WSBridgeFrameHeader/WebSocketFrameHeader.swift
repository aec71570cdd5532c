import NIOCore

/// The header of a WebSocket frame up to its masking key (RFC 6455 §5.2): the first byte as sent, and
/// the payload length with the mask bit.
///
/// ```
///  byte 0          byte 1            bytes 2–3 or 2–9               then, if MASK
/// +-+-+-+-+-------+-+-------------+-------------------------------+-----------------+
/// |F|R|R|R| opcode|M| Payload len | Extended payload length       | Masking key     |
/// |I|S|S|S|  (4)  |A|     (7)     |   0–125: none                 | (4 bytes)       |
/// |N|V|V|V|       |S|             |   126:   16 bits (126–65535)  |                 |
/// | |1|2|3|       |K|             |   127:   64 bits (65536–)     |                 |
/// +-+-+-+-+-------+-+-------------+-------------------------------+-----------------+
/// ```
///
/// The one place that knows how the length is encoded: the server's frames (`ServerFrame`), its
/// client-frame parser, the load tool and the tests' WebSocket clients all write and read it here.
/// Writing always picks the shortest form. Reading accepts any form (a length in a longer encoding than
/// needed, as NIO did) and gives the 64-bit value as it stands: whether its most significant bit or its
/// size is acceptable is the reader's decision.
public struct WebSocketFrameHeader: Hashable, Sendable {
    /// FIN, RSV1–3 and the opcode, as sent.
    public var first: UInt8
    /// Whether a 4-byte masking key follows the length (every client frame; never a server frame).
    public var masked: Bool
    /// The declared payload length.
    public var payloadLength: UInt64
    /// The bytes of the header before the masking key: 2, 4 or 10.
    public var lengthEnd: Int

    @inlinable
    public init(first: UInt8, masked: Bool, payloadLength: UInt64, lengthEnd: Int) {
        self.first = first
        self.masked = masked
        self.payloadLength = payloadLength
        self.lengthEnd = lengthEnd
    }

    /// FIN: the last frame of a message.
    @inlinable public var fin: Bool { self.first & 0x80 != 0 }
    /// RSV1: a compressed message with permessage-deflate (RFC 7692 §6).
    @inlinable public var rsv1: Bool { self.first & 0x40 != 0 }
    /// The 4-bit opcode.
    @inlinable public var opcode: UInt8 { self.first & 0x0F }
    /// The whole header, masking key included: where the payload starts.
    @inlinable public var size: Int { self.lengthEnd + (self.masked ? 4 : 0) }
}

extension WebSocketFrameHeader {
    /// The header bytes of a frame of `payloadLength` bytes: 2, 4 or 10, and 4 more when `masked`.
    @inlinable
    public static func size(payloadLength: Int, masked: Bool = false) -> Int {
        let unmasked: Int
        switch payloadLength {
        case ..<126: unmasked = 2
        case ..<65536: unmasked = 4
        default: unmasked = 10
        }
        return masked ? unmasked + 4 : unmasked
    }

    /// Sets the header's bytes at `index`, moving no index: `first`, then the mask bit and the length in
    /// its shortest form; the masking key, if any, is the caller's. Returns the count of bytes set (2, 4
    /// or 10). The buffer grows if it must; it allocates nothing when it has room.
    @inlinable
    @discardableResult
    public static func set(
        first: UInt8, payloadLength: Int, masked: Bool = false, at index: Int, in buffer: inout ByteBuffer
    ) -> Int {
        let maskBit: UInt8 = masked ? 0x80 : 0
        buffer.setInteger(first, at: index)
        switch payloadLength {
        case ..<126:
            buffer.setInteger(maskBit | UInt8(truncatingIfNeeded: payloadLength), at: index + 1)
            return 2
        case ..<65536:
            buffer.setInteger(maskBit | 126, at: index + 1)
            buffer.setInteger(UInt16(truncatingIfNeeded: payloadLength), at: index + 2)
            return 4
        default:
            buffer.setInteger(maskBit | 127, at: index + 1)
            buffer.setInteger(UInt64(payloadLength), at: index + 2)
            return 10
        }
    }

    /// Appends the header's bytes, as ``set(first:payloadLength:masked:at:in:)`` sets them.
    @inlinable
    @discardableResult
    public static func write(first: UInt8, payloadLength: Int, masked: Bool = false, into buffer: inout ByteBuffer) -> Int {
        let written = Self.set(first: first, payloadLength: payloadLength, masked: masked, at: buffer.writerIndex, in: &buffer)
        buffer.moveWriterIndex(forwardBy: written)
        return written
    }

    /// Reads the header at the start of `bytes` once its length is complete (the masking key may still
    /// be missing: ``size`` says where it ends); nil while it is not.
    @inlinable
    public static func read<Bytes: RandomAccessCollection>(_ bytes: Bytes) -> WebSocketFrameHeader?
    where Bytes.Element == UInt8 {
        guard bytes.count >= 2 else { return nil }
        let start = bytes.startIndex
        let second = bytes[bytes.index(after: start)]
        let short = second & 0x7F
        let extended = short == 126 ? 2 : short == 127 ? 8 : 0
        guard bytes.count >= 2 + extended else { return nil }
        var length = UInt64(short)
        if extended > 0 {
            length = 0
            var index = bytes.index(start, offsetBy: 2)
            for _ in 0..<extended {
                length = length << 8 | UInt64(bytes[index])
                index = bytes.index(after: index)
            }
        }
        return WebSocketFrameHeader(first: bytes[start], masked: second & 0x80 != 0, payloadLength: length, lengthEnd: 2 + extended)
    }

    /// Reads the header that starts at `index` of `buffer` (a readable index), as ``read(_:)`` does.
    @inlinable
    public static func read(_ buffer: ByteBuffer, at index: Int) -> WebSocketFrameHeader? {
        guard index >= buffer.readerIndex else { return nil }
        return buffer.withUnsafeReadableBytes { bytes in
            Self.read(UnsafeRawBufferPointer(rebasing: bytes[min(index - buffer.readerIndex, bytes.count)...]))
        }
    }
}
