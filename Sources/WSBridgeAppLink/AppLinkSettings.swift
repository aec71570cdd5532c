import NIOCore

/// The app socket's limits and access rules. Every limit has a config key (docs/configuration.md).
public struct AppLinkSettings: Sendable {
    /// This node's id, reported in `welcome`.
    public var nodeID: String = "wsbridge"
    /// File mode of the socket (`app_socket_mode`).
    public var socketMode: Int = 0o660
    /// Largest frame an app may send (`max_frame_bytes`).
    public var maxFrameBytes: Int = 1 << 20
    /// Bytes an app may leave unread before it is disconnected as a slow consumer (`app_max_queue_bytes`).
    public var maxQueueBytes: Int = 4 << 20
    /// With `auth = app`: how long a handshake waits for accept/reject (`connect_timeout`).
    public var connectTimeout: TimeAmount = .seconds(5)
    /// Peers allowed to attach, by uid; nil = anyone who can open the socket (`app_allowed_uids`).
    public var allowedUIDs: Set<UInt32>?

    public init() {}
}
