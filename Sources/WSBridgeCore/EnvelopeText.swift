import WSBridgeJSON
import NIOCore

/// Builds native envelopes (`{"user":…,"data":…}`) as they travel on the broker channel.
public enum EnvelopeText {
    /// What the recipients receive, as bytes: what an app sent goes into the envelope without becoming
    /// a `String` first.
    public enum Data: Sendable {
        /// Sent as this text (UTF-8).
        case text(ByteBuffer)
        /// Sent as this JSON text (already valid JSON: a number, object, array...).
        case json(ByteBuffer)
        /// Sent as a binary frame; travels as base64 with `"binary":true`.
        case binary(ByteBuffer)

        public static func text(_ value: String) -> Data { .text(ByteBuffer(string: value)) }
        public static func json(_ value: String) -> Data { .json(ByteBuffer(string: value)) }
        public static func binary(_ bytes: [UInt8]) -> Data { .binary(ByteBuffer(bytes: bytes)) }
    }

    /// The envelope, written straight into one buffer (strings are quoted by
    /// ``JSONText/writeQuoted(_:into:)-(String,_)``, which copies plain runs as they are).
    public static func make(target: DeliveryTarget, data: Data, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: Self.plainSize(target: target, data: data))
        buffer.writeStaticString("{")
        switch target {
        case .user(let user):
            buffer.writeStaticString("\"user\":")
            JSONText.writeQuoted(user, into: &buffer)
        case .users(let users):
            buffer.writeStaticString("\"users\":[")
            for (index, user) in users.enumerated() {
                if index > 0 {
                    buffer.writeStaticString(",")
                }
                JSONText.writeQuoted(user, into: &buffer)
            }
            buffer.writeStaticString("]")
        case .all:
            buffer.writeStaticString("\"all\":true")
        }
        switch data {
        case .text(let value):
            buffer.writeStaticString(",\"data\":")
            JSONText.writeQuoted(value, into: &buffer)
        case .json(let value):
            buffer.writeStaticString(",\"data\":")
            buffer.writeImmutableBuffer(value)
        case .binary(let bytes):
            buffer.writeStaticString(",\"binary\":true,\"data\":\"")
            buffer.writeString(Base64.encode(bytes.readableBytesView))
            buffer.writeStaticString("\"")
        }
        buffer.writeStaticString("}")
        return buffer
    }

    /// The envelope's length when nothing in it needs an escape (escapes grow the buffer).
    private static func plainSize(target: DeliveryTarget, data: Data) -> Int {
        let targetSize: Int
        switch target {
        case .user(let user): targetSize = 9 + user.utf8.count
        case .users(let users): targetSize = 10 + users.reduce(0) { $0 + $1.utf8.count + 3 }
        case .all: targetSize = 10
        }
        let dataSize: Int
        switch data {
        case .text(let value): dataSize = 10 + value.readableBytes
        case .json(let value): dataSize = 8 + value.readableBytes
        case .binary(let bytes): dataSize = 24 + (bytes.readableBytes + 2) / 3 * 4
        }
        return 2 + targetSize + dataSize
    }
}
