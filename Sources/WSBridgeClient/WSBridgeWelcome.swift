import WSBridgeProtocol

/// What wsbridge announced in `welcome` when the client attached.
public struct WSBridgeWelcome: Sendable, Equatable {
    /// The daemon's node id (`node_id`), as it appears in logs, metrics and status.
    public var node: String
    /// The daemon's version, such as `0.1.0`.
    public var version: String
    /// The limits the app must respect: largest request frame, event queue, time to answer `connect`.
    public var limits: AppLimits

    public init(node: String, version: String, limits: AppLimits) {
        self.node = node
        self.version = version
        self.limits = limits
    }
}
