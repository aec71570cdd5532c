import NIOCore
import WSBridgeCore
import WSBridgeDeflate

/// Server frames compressed for permessage-deflate (RFC 7692 §6): a broadcast once for all its
/// recipients, a connection's own frame for that connection.
enum FrameCompression {
    /// The delivery's frame for a client with a `windowBits` window: compressed by the first recipient
    /// that asks, shared by the rest (``DeliveryEncodings``).
    static func frame(for delivery: Delivery, windowBits: Int, counters: EdgeCounters) -> ByteBuffer {
        delivery.encodings.encoded(.deflated(windowBits: windowBits)) {
            Self.compress(delivery.frame, windowBits: windowBits, counters: counters)
        }
    }

    /// `frame` (one frame as ``ServerFrame`` encodes it, header first) with its payload compressed and
    /// RSV1 set; `frame` itself when compressing does not make it smaller (RFC 7692 lets any message go
    /// uncompressed).
    static func compress(_ frame: ByteBuffer, windowBits: Int, counters: EdgeCounters) -> ByteBuffer {
        guard let header = ServerFrame.header(of: frame) else { return frame }
        let payloadLength = frame.readableBytes - header.length
        let payload = frame.getSlice(at: frame.readerIndex + header.length, length: payloadLength)!
        // The compressed payload goes after room for the longest header; the header is then written
        // right before it, so the frame is built without a second copy.
        let room = 10
        var compressed = ByteBufferAllocator().buffer(capacity: room + payloadLength / 2 + 64)
        compressed.moveWriterIndex(forwardBy: room)
        compressed.moveReaderIndex(forwardBy: room)
        DeflateCodecs.current.deflater(windowBits: windowBits).compress(payload, into: &compressed)
        let compressedLength = compressed.readableBytes
        counters.deflatedMessages.wrappingIncrement(ordering: .relaxed)
        counters.deflateBytesIn.wrappingIncrement(by: payloadLength, ordering: .relaxed)
        guard compressedLength < payloadLength else {
            counters.deflateBytesOut.wrappingIncrement(by: payloadLength, ordering: .relaxed)
            return frame
        }
        counters.deflateBytesOut.wrappingIncrement(by: compressedLength, ordering: .relaxed)
        let start = room - ServerFrame.headerLength(payloadLength: compressedLength)
        ServerFrame.setHeader(header.opcode, payloadLength: compressedLength, compressed: true, at: start, in: &compressed)
        compressed.moveReaderIndex(to: start)
        return compressed
    }
}

extension EncodedForm {
    /// The WebSocket frame compressed with a `windowBits` window (9 to 15).
    static func deflated(windowBits: Int) -> EncodedForm { EncodedForm(rawValue: windowBits) }
}
