import CZlib
import NIOCore

/// Compresses whole messages for permessage-deflate (RFC 7692 §7.2.1), each one on its own: the
/// server never takes its LZ77 window from one message to the next (`server_no_context_takeover`), so
/// the bytes of a message are the same for every recipient that negotiated the same window, and one
/// compression serves them all.
///
/// One zlib stream, reset before each message (no allocation per message). Not thread safe: one owner
/// at a time.
public final class MessageDeflater {
    /// The LZ77 window, as a power of two: 9 to 15 (zlib's raw deflate cannot do 8, RFC 7692's least).
    public let windowBits: Int
    private let stream: UnsafeMutablePointer<z_stream>

    /// zlib's memory for a stream of `level` and `memLevel`: about `(1 << (windowBits + 2)) +
    /// (1 << (memLevel + 9))` bytes; memLevel 8 with a 32 KiB window is about 256 KiB, once per process.
    public init(windowBits: Int = 15, level: Int32 = 6, memLevel: Int32 = 8) {
        precondition((9...15).contains(windowBits), "raw deflate windows are 9 to 15 bits")
        self.windowBits = windowBits
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        let status = wsb_deflate_init(self.stream, level, Int32(windowBits), memLevel)
        // Only out of memory fails here (the parameters are checked above).
        precondition(status == Z_OK, "deflateInit2 failed: \(status)")
    }

    deinit {
        deflateEnd(self.stream)
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
    }

    /// Appends `message` compressed to `output`: a complete DEFLATE stream flushed to a byte boundary
    /// with its last four bytes (`00 00 ff ff`, the empty stored block of the flush) removed, as RFC 7692
    /// §7.2.1 sends it.
    public func compress(_ message: ByteBuffer, into output: inout ByteBuffer) {
        deflateReset(self.stream)
        let start = output.writerIndex
        message.withUnsafeReadableBytes { input in
            self.stream.pointee.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
            self.stream.pointee.avail_in = uInt(input.count)
            // deflateBound covers a message whatever it holds, plus the flush's few bytes: one pass
            // suffices; the loop only guards against zlib needing more.
            var room = Int(deflateBound(self.stream, uLong(input.count))) + 8
            repeat {
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { space in
                    self.stream.pointee.next_out = space.bindMemory(to: Bytef.self).baseAddress
                    self.stream.pointee.avail_out = uInt(space.count)
                    _ = deflate(self.stream, Z_SYNC_FLUSH)
                    return space.count - Int(self.stream.pointee.avail_out)
                }
                room = 256
                // Done when all input is taken and the flush had room to finish.
            } while self.stream.pointee.avail_in != 0 || self.stream.pointee.avail_out == 0
            self.stream.pointee.next_in = nil
            self.stream.pointee.next_out = nil
        }
        // A sync flush always ends with the empty stored block 00 00 ff ff.
        if output.writerIndex - start >= 4 {
            output.moveWriterIndex(to: output.writerIndex - 4)
        }
    }
}
