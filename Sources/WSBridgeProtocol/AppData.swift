import NIOCore

/// The `data` of a `publish` or `send` request, ready to go out as one WebSocket message.
public enum AppData: Sendable, Equatable {
    /// A JSON string `data`: its unescaped UTF-8 text, sent as a text message.
    case text(ByteBuffer)
    /// Any other JSON value (object, array, number, `true`, `false`, `null`): its raw JSON text exactly
    /// as the app wrote it, sent as a text message.
    case json(ByteBuffer)
    /// `"binary": true`: the bytes the base64 string `data` decodes to, sent as a binary message.
    case binary(ByteBuffer)

    /// The bytes a client receives.
    public var payload: ByteBuffer {
        switch self {
        case .text(let bytes), .json(let bytes), .binary(let bytes): return bytes
        }
    }

    /// Whether the bytes go out as a binary WebSocket message (otherwise as text).
    public var isBinary: Bool {
        if case .binary = self { return true }
        return false
    }
}
