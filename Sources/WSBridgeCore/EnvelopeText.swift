import WSBridgeJSON
import NIOCore

/// Builds native envelopes (`{"user":…,"data":…}`) as they travel on the broker channel.
public enum EnvelopeText {
    /// What the recipients receive.
    public enum Data: Sendable {
        /// Sent as this text.
        case text(String)
        /// Sent as this JSON text (already valid JSON: a number, object, array...).
        case json(String)
        /// Sent as a binary frame; travels as base64 with `"binary":true`.
        case binary([UInt8])
    }

    public static func make(target: DeliveryTarget, data: Data, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        var text = "{"
        switch target {
        case .user(let user):
            text += "\"user\":" + JSONText.quoted(user)
        case .users(let users):
            text += "\"users\":[" + users.map(JSONText.quoted).joined(separator: ",") + "]"
        case .all:
            text += "\"all\":true"
        }
        switch data {
        case .text(let value):
            text += ",\"data\":" + JSONText.quoted(value)
        case .json(let value):
            text += ",\"data\":" + value
        case .binary(let bytes):
            text += ",\"binary\":true,\"data\":\"" + Base64.encode(bytes) + "\""
        }
        text += "}"
        var buffer = allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        return buffer
    }
}
