import NIOCore
import NIOPosix
import WSBridgeCore
import WSBridgeDeflate

/// permessage-deflate's zlib streams for one thread (an event loop): a deflater per window size in use
/// and one inflater. Connections keep none of their own, only the window they negotiated: an idle
/// compressed connection costs one byte more than a plain one, not zlib's 300 KiB.
///
/// Sharing works because no stream outlives a message: the server compresses each message on its own
/// (`server_no_context_takeover`) and the client was told to do the same (`client_no_context_takeover`),
/// and a message is compressed or inflated in one go, on the connection's event loop.
///
/// `@unchecked Sendable`: an instance is reached only through ``current``, on the thread that made it.
final class DeflateCodecs: @unchecked Sendable {
    private static let perThread = ThreadSpecificVariable<DeflateCodecs>()

    /// This thread's codecs, made on first use.
    static var current: DeflateCodecs {
        if let codecs = Self.perThread.currentValue {
            return codecs
        }
        let codecs = DeflateCodecs()
        Self.perThread.currentValue = codecs
        return codecs
    }

    /// By window size, 9 to 15 bits (index `windowBits - 9`).
    private var deflaters = [MessageDeflater?](repeating: nil, count: 7)
    /// Allocated on the first compressed message a client sends on this thread.
    private(set) lazy var inflater = MessageInflater()

    func deflater(windowBits: Int) -> MessageDeflater {
        if let deflater = self.deflaters[windowBits - 9] {
            return deflater
        }
        let deflater = MessageDeflater(windowBits: windowBits)
        self.deflaters[windowBits - 9] = deflater
        return deflater
    }
}

/// Server frames compressed for permessage-deflate (RFC 7692 §6): a broadcast once for all its
/// recipients, a connection's own frame for that connection.
enum FrameCompression {
    /// The delivery's frame for a client with a `windowBits` window: compressed by the first recipient
    /// that asks, shared by the rest (``CompressedFrames``).
    static func frame(for delivery: Delivery, windowBits: Int, counters: EdgeCounters) -> ByteBuffer {
        delivery.compressedFrames.frame(windowBits: windowBits) {
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
