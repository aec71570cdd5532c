/// Constants of the app-socket protocol that both sides rely on (see `docs/protocol.md`).
public enum AppProtocol {
    /// The protocol version this module speaks: what `hello` must carry and `welcome` announces.
    public static let version = 1

    /// The default largest frame payload wsbridge reads from an app (config key `max_frame_bytes`).
    /// A frame is one JSON message; 1 MiB leaves room for a large `publish` while keeping one app from
    /// making the daemon buffer without bound.
    public static let defaultMaxFrameBytes = 1 << 20

    /// The longest user id accepted, in UTF-8 bytes after unescaping (the same limit as the broker
    /// envelope, so an id valid in one is valid in the other).
    public static let maxUserIDBytes = 256

    /// The longest session id accepted in `register` and `unregister`, in UTF-8 bytes.
    public static let maxSessionIDBytes = 256

    /// The longest `conn` accepted, in UTF-8 bytes. wsbridge's connection ids (`c42`) are far shorter;
    /// the limit only keeps error messages short.
    public static let maxConnIDBytes = 64

    /// The longest app name accepted in `hello`, in UTF-8 bytes (it appears in logs and status).
    public static let maxNameBytes = 256

    /// The most entries a `publish` `users` array may have (the broker envelope's limit).
    public static let maxUsersPerPublish = 10_000

    /// The longest `close` reason, in UTF-8 bytes: a WebSocket close frame holds 125 bytes, two of
    /// them the code (RFC 6455 §5.5).
    public static let maxCloseReasonBytes = 123

    /// The longest `reject` reason, in UTF-8 bytes (it becomes the body of the HTTP response).
    public static let maxRejectReasonBytes = 1024

    /// The deepest JSON nesting accepted in a request; the request object itself is depth 1.
    public static let maxDepth = 64
    /// The longest `since` (a session position, `USERPOS.ALLPOS`), in bytes.
    public static let maxPositionBytes = 128
}
