import NIOCore
import WSBridgeCore
import WSBridgeFrameHeader

/// Encodes WebSocket frames as a server sends them: final, unmasked, header and payload in one buffer.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-------+-+-------------+-------------------------------+
/// |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
/// |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
/// |N|V|V|V|       |S|             |   (if payload len==126/127)   |
/// | |1|2|3|       |K|             |                               |
/// +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
/// |                         Payload Data ...                      |
/// +---------------------------------------------------------------+
/// ```
/// A message for many recipients is encoded once; every recipient is written the same bytes.
public enum ServerFrame {
    public enum Opcode: UInt8, Sendable {
        case text = 0x1
        case binary = 0x2
        case close = 0x8
        case ping = 0x9
        case pong = 0xA
    }

    /// The opcode and header length of a frame this type encoded (`frame` starts with its header).
    public static func header(of frame: ByteBuffer) -> (opcode: Opcode, length: Int)? {
        guard let header = WebSocketFrameHeader.read(frame, at: frame.readerIndex),
            let opcode = Opcode(rawValue: header.opcode)
        else { return nil }
        return (opcode, header.size)
    }

    /// The encoded size of a frame with `payloadLength` payload bytes.
    @inlinable
    public static func encodedSize(payloadLength: Int) -> Int {
        WebSocketFrameHeader.size(payloadLength: payloadLength) + payloadLength
    }

    /// One final, unmasked frame carrying `payload`.
    public static func encode(_ opcode: Opcode, payload: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var payload = payload
        var frame = allocator.buffer(capacity: Self.encodedSize(payloadLength: payload.readableBytes))
        Self.writeHeader(opcode, payloadLength: payload.readableBytes, into: &frame)
        frame.writeBuffer(&payload)
        return frame
    }

    /// A close frame with a status code and a reason, truncated to fit the 125-byte control-frame limit.
    public static func close(_ code: CloseCode, reason: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var payload = allocator.buffer(capacity: 2 + reason.utf8.count)
        payload.writeInteger(code.rawValue)
        // Control frames carry at most 125 bytes: keep whole characters up to 123 bytes of reason.
        var end = reason.startIndex
        var used = 0
        while end < reason.endIndex {
            let next = reason.index(after: end)
            let width = reason.utf8.distance(from: end, to: next)
            if used + width > 123 { break }
            used += width
            end = next
        }
        payload.writeString(String(reason[..<end]))
        return Self.encode(.close, payload: payload, allocator: allocator)
    }

    /// Writes the header of a final, unmasked frame whose payload (`payloadLength` bytes) follows;
    /// `compressed` sets RSV1, which permessage-deflate uses to mark a compressed message (RFC 7692 §6).
    @inlinable
    public static func writeHeader(_ opcode: Opcode, payloadLength: Int, compressed: Bool = false, into buffer: inout ByteBuffer) {
        let written = Self.setHeader(opcode, payloadLength: payloadLength, compressed: compressed, at: buffer.writerIndex, in: &buffer)
        buffer.moveWriterIndex(forwardBy: written)
    }

    /// The header's bytes for a frame of `payloadLength` bytes.
    @inlinable
    public static func headerLength(payloadLength: Int) -> Int {
        WebSocketFrameHeader.size(payloadLength: payloadLength)
    }

    /// Sets the header's bytes at `index` (moving no index) and returns their count: for a header
    /// written in front of a payload already in the buffer.
    @inlinable
    @discardableResult
    public static func setHeader(
        _ opcode: Opcode, payloadLength: Int, compressed: Bool = false, at index: Int, in buffer: inout ByteBuffer
    ) -> Int {
        WebSocketFrameHeader.set(
            first: (compressed ? 0xC0 : 0x80) | opcode.rawValue, payloadLength: payloadLength, at: index, in: &buffer)
    }
}
