import NIOCore

/// How a durable message travels on the channel: the envelope as published, with the positions it got
/// as a first member `wsb`, so that it stays a JSON object any consumer of the channel can read.
///
/// ```
///  envelope   {"user":"A","data":"hi"}
///  on channel {"wsb":"6b1163c72284a-17","user":"A","data":"hi"}
/// ```
///
/// The Redis function library builds it in Lua (``RedisFunctionLibrary``); the embedded broker with
/// ``wrap(positions:envelope:allocator:)``.
public enum DurableMessage {
    /// `envelope` with `"wsb":"<positions>"` as its first member; nil when it does not start with `{`
    /// (after JSON whitespace).
    public static func wrap(positions: String, envelope: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        let view = envelope.readableBytesView
        guard let brace = view.firstIndex(where: { !Self.isWhitespace($0) }), view[brace] == UInt8(ascii: "{") else {
            return nil
        }
        let members = envelope.getSlice(
            at: brace + 1, length: envelope.readableBytes - (brace + 1 - envelope.readerIndex)) ?? ByteBuffer()
        var message = allocator.buffer(capacity: 10 + positions.utf8.count + members.readableBytes)
        message.writeStaticString("{\"wsb\":\"")
        message.writeString(positions)
        message.writeStaticString("\",")
        message.writeImmutableBuffer(members)
        return message
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
