import NIOCore
import NIOWebSocket
import WSBridgeFrameHeader

/// Cuts the frames a client sends (RFC 6455 §5.2) out of the bytes read from its connection.
///
/// It takes the place of NIO's `ByteToMessageHandler(WebSocketFrameDecoder)`: one channel handler, its
/// decoder, its cumulation state and its context less per connection (about 600 bytes of an idle
/// connection's RSS, and a pipeline hop per read). ``WebSocketConnection`` keeps the bytes of an
/// unfinished frame and asks for frames after each read.
///
/// The parser keeps no state: a frame leaves the buffer only once all of it has arrived, and until then
/// its header (at most 14 bytes) is read again after each read. A connection waiting for bytes holds
/// nothing but those bytes.
///
/// It checks what must be known before a payload is buffered: the control-frame rules (never
/// fragmented, at most 125 bytes) and the declared length against the limit, so an oversized frame is
/// refused from its header, not after its megabytes arrived. Everything else (masking, reserved bits,
/// opcodes, reassembly, UTF-8) is ``MessageAssembler``'s: the frames returned carry the client's bits
/// as sent, payload still masked. Lengths in a longer encoding than needed are accepted, as NIO did.
struct ClientFrameParser {
    /// Why the bytes cannot be cut into frames. Nothing after such a header can be trusted.
    enum Failure: Error, Equatable {
        /// The declared payload length exceeds `maxFrameSize`.
        case frameTooLarge
        /// The header breaks RFC 6455.
        case protocolError(String)
    }

    /// The largest payload accepted (`max_message_bytes`: no frame of a message can be longer).
    let maxFrameSize: Int

    /// A frame's header, read from the front of the buffer.
    struct Header {
        var fin: Bool
        var rsv1: Bool
        var rsv2: Bool
        var rsv3: Bool
        var opcode: WebSocketOpcode
        var maskKey: WebSocketMaskingKey?
        /// Where the payload starts in the buffer, and its declared length.
        var payloadStart: Int
        var payloadLength: Int
    }

    /// Takes the next complete frame from `buffer`. Returns nil, leaving `buffer` untouched, until all of
    /// it has arrived; throws as soon as its header shows a frame that must be refused.
    func nextFrame(from buffer: inout ByteBuffer) throws(Failure) -> WebSocketFrame? {
        guard let header = try self.header(in: buffer),
            let data = buffer.getSlice(at: header.payloadStart, length: header.payloadLength)
        else {
            return nil
        }
        buffer.moveReaderIndex(to: header.payloadStart + header.payloadLength)
        return WebSocketFrame(
            fin: header.fin, rsv1: header.rsv1, rsv2: header.rsv2, rsv3: header.rsv3,
            opcode: header.opcode, maskKey: header.maskKey, data: data
        )
    }

    /// The header of the frame at the front of `buffer`, once all of it (at most 14 bytes) has arrived;
    /// its payload may not have. Throws for a header that must be refused.
    func header(in buffer: ByteBuffer) throws(Failure) -> Header? {
        let start = buffer.readerIndex
        guard let read = WebSocketFrameHeader.read(buffer, at: start) else {
            return nil
        }
        guard read.payloadLength >> 63 == 0 else {
            throw .protocolError("frame length with the most significant bit set")
        }
        let isControl = read.opcode & 0x08 != 0
        guard !isControl || (read.fin && read.payloadLength <= 125) else {
            throw .protocolError("bad control frame")
        }
        guard read.payloadLength <= UInt64(self.maxFrameSize) else {
            throw .frameTooLarge
        }
        var maskKey: WebSocketMaskingKey?
        if read.masked {
            guard let key = buffer.viewBytes(at: start + read.lengthEnd, length: 4) else { return nil }
            maskKey = WebSocketMaskingKey(key)
        }
        // Every 4-bit opcode is representable, so the force unwrap cannot fail.
        return Header(
            fin: read.fin, rsv1: read.rsv1, rsv2: read.first & 0x20 != 0, rsv3: read.first & 0x10 != 0,
            opcode: WebSocketOpcode(encodedWebSocketOpcode: read.opcode)!, maskKey: maskKey,
            payloadStart: start + read.size, payloadLength: Int(read.payloadLength))
    }
}
