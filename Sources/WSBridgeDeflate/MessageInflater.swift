import CZlib
import NIOCore

/// Decompresses the messages a client sent with permessage-deflate (RFC 7692 §7.2.2), bounded: the
/// output of one message never grows past the limit it is given, so a small frame that inflates to
/// gigabytes (a "zip bomb") is refused after `limit` bytes, not after memory ran out.
///
/// The client was told `client_no_context_takeover`, so every message starts from an empty window:
/// ``reset()`` after each. Fed a message's frames in order, then ``finish(into:limit:)``. Not thread
/// safe: one owner at a time.
public final class MessageInflater {
    public enum Failure: Error, Equatable {
        /// The output would exceed the limit.
        case tooLarge
        /// The bytes are not DEFLATE data (zlib's message).
        case corrupt(String)
    }

    private let stream: UnsafeMutablePointer<z_stream>
    /// The four bytes RFC 7692 §7.2.2 appends to a message's payload before inflating it.
    private static let tail = ByteBuffer(bytes: [0x00, 0x00, 0xFF, 0xFF])

    /// `windowBits` is the largest window the client may use: 15 unless `client_max_window_bits` said
    /// less. zlib allocates the window on first use (32 KiB for 15) and keeps it until `deinit`.
    public init(windowBits: Int = 15) {
        precondition((8...15).contains(windowBits), "deflate windows are 8 to 15 bits")
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        // A window of 8 bits is inflated with 9: a stream that fits 256 bytes fits 512.
        let status = wsb_inflate_init(self.stream, Int32(max(windowBits, 9)))
        precondition(status == Z_OK, "inflateInit2 failed: \(status)")
    }

    deinit {
        inflateEnd(self.stream)
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
    }

    /// Inflates one frame's payload of the current message, appending to `output`, which may hold at
    /// most `limit` readable bytes afterwards.
    public func inflate(_ input: ByteBuffer, into output: inout ByteBuffer, limit: Int) throws(Failure) {
        try input.withUnsafeReadableBytes { bytes throws(Failure) in
            try self.run(bytes, into: &output, limit: limit, finishing: false)
        }
    }

    /// Ends the current message (inflates the tail RFC 7692 removed) and resets for the next one.
    public func finish(into output: inout ByteBuffer, limit: Int) throws(Failure) {
        defer { self.reset() }
        try Self.tail.withUnsafeReadableBytes { bytes throws(Failure) in
            try self.run(bytes, into: &output, limit: limit, finishing: true)
        }
    }

    /// Forgets the message in progress: the next input starts a new one.
    public func reset() {
        inflateReset(self.stream)
    }

    private func run(
        _ input: UnsafeRawBufferPointer, into output: inout ByteBuffer, limit: Int, finishing: Bool
    ) throws(Failure) {
        guard !input.isEmpty else { return }
        self.stream.pointee.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
        self.stream.pointee.avail_in = uInt(input.count)
        defer {
            self.stream.pointee.next_in = nil
            self.stream.pointee.next_out = nil
        }
        while self.stream.pointee.avail_in > 0 {
            // One byte more than may be kept: producing it shows the message is too large.
            let allowed = limit - output.readableBytes + 1
            guard allowed > 0 else { throw .tooLarge }
            let room = min(allowed, max(4 * input.count, 4096))
            let pending = self.stream.pointee.avail_in
            var status: Int32 = Z_OK
            var produced = 0
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { space in
                let usable = min(space.count, allowed)
                self.stream.pointee.next_out = space.bindMemory(to: Bytef.self).baseAddress
                self.stream.pointee.avail_out = uInt(usable)
                status = CZlib.inflate(self.stream, Z_SYNC_FLUSH)
                produced = usable - Int(self.stream.pointee.avail_out)
                return produced
            }
            if output.readableBytes > limit { throw .tooLarge }
            switch status {
            case Z_OK:
                continue
            case Z_BUF_ERROR where produced > 0 || self.stream.pointee.avail_in < pending:
                continue
            case Z_STREAM_END:
                // A final block ends the message's stream (RFC 7692 allows one): only the tail may follow.
                if self.stream.pointee.avail_in > 0 && !finishing {
                    throw .corrupt("data after the end of the deflate stream")
                }
                return
            default:
                let message = self.stream.pointee.msg.map { String(cString: $0) } ?? "inflate error \(status)"
                throw .corrupt(message)
            }
        }
    }
}
