/// The limits an app must respect, announced in `welcome` (see `docs/protocol.md`, "Limits").
public struct AppLimits: Sendable, Equatable {
    /// The largest frame body wsbridge reads from the app (`max_frame_bytes`, default 1 MiB).
    public var maxFrameBytes: Int
    /// How many bytes of events may wait for the app to read them before it is disconnected as a slow
    /// consumer (`app_max_queue_bytes`, default 4 MiB).
    public var maxQueueBytes: Int
    /// How long the app has to answer a `connect` before the client gets HTTP 503
    /// (`connect_timeout`, default 5 s), in milliseconds.
    public var connectTimeoutMilliseconds: Int

    public init(
        maxFrameBytes: Int = AppProtocol.defaultMaxFrameBytes,
        maxQueueBytes: Int = 4 << 20,
        connectTimeoutMilliseconds: Int = 5_000
    ) {
        self.maxFrameBytes = maxFrameBytes
        self.maxQueueBytes = maxQueueBytes
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
    }
}
