import NIOCore

/// The WebSocket edge's limits and behaviour. Every limit has a config key (see docs/configuration.md).
public struct EdgeSettings: Sendable {
    /// The path WebSocket clients connect to (`ws_path`).
    public var path: String = "/ws"
    /// The path of the server-sent-events fallback (`sse_path`); nil: no fallback.
    public var eventStreamPath: String? = "/sse"
    /// Largest client message after reassembly of fragments; bigger gets close 1009 (`max_message_bytes`).
    public var maxMessageBytes: Int = 64 * 1024
    /// Most frames one client message may come in; more gets close 1008 (`max_message_fragments`): an
    /// endless run of empty continuation frames would otherwise keep a message open forever.
    public var maxMessageFragments: Int = 1024
    /// Most bytes a request's head may take (request line and header lines); a longer one is answered
    /// 431. A client may also send as much after its request before it is answered (`max_request_head_bytes`).
    public var maxRequestHeadBytes: Int = HTTPRequestHeadParser.defaultMaxHeadBytes
    /// Messages a client may send per second, in bursts of up to as many; past it, close 1008
    /// (`max_client_messages_per_second`); nil: no limit.
    public var maxClientMessagesPerSecond: Int? = 100
    /// Bytes a connection may have queued for sending before it is closed as a slow consumer with 1008
    /// (`max_queue_bytes`).
    public var maxQueueBytes: Int = 1024 * 1024
    /// Open connections (upgraded or in handshake) beyond which new ones get HTTP 503 (`max_connections`).
    public var maxConnections: Int = 100_000
    /// Connections one user may hold on this node; one more gets HTTP 429 before the upgrade
    /// (`max_connections_per_user`); nil: no limit.
    public var maxConnectionsPerUser: Int?
    /// Whether permessage-deflate (RFC 7692) is negotiated with clients that offer it (`permessage_deflate`).
    public var permessageDeflate = true
    /// Server messages smaller than this go uncompressed even to clients that negotiated deflate
    /// (`deflate_min_bytes`): below a few hundred bytes, compression saves little and costs CPU.
    public var deflateMinBytes = 256
    /// Time from accept to a completed handshake (`handshake_timeout`).
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// A ping is sent when the client was silent this long; nil disables pings (`ping_interval`). An
    /// event stream gets a keep-alive comment when nothing was sent to it for as long.
    public var pingInterval: TimeAmount? = .seconds(25)
    /// A client silent this long is closed with 1001; nil disables the timeout (`idle_timeout`).
    public var idleTimeout: TimeAmount? = .seconds(60)
    /// How long a closing connection waits for the client's close frame before the socket is closed
    /// (`close_timeout`).
    public var closeTimeout: TimeAmount = .seconds(3)
    /// Which `Origin` headers may connect (`allowed_origins`).
    public var origins: OriginPolicy = .any
    /// Users whose connections are logged at `info` when they open and close (`log_user`); everyone
    /// else's at `debug`.
    public var tracedUsers: Set<String> = []
    /// Proxies whose `X-Forwarded-For` names the client (`trusted_proxies`).
    public var trustedProxies = TrustedProxies()

    public init() {}

    /// How often each shard checks its connections for pings and idle timeouts.
    public var heartbeatInterval: TimeAmount {
        let candidates = [self.pingInterval, self.idleTimeout].compactMap { $0 }
        guard let shortest = candidates.min() else { return .seconds(5) }
        return .nanoseconds(max(100_000_000, min(5_000_000_000, shortest.nanoseconds / 5)))
    }
}

/// One configuration's edge settings, shared by reference: every connection accepted under it points at
/// the same copy instead of carrying its own (a connection's size counts tens of thousands of times).
final class SharedEdgeSettings: Sendable {
    let value: EdgeSettings

    init(_ value: EdgeSettings) {
        self.value = value
    }
}

/// Which browser origins may open WebSocket connections.
///
/// A request without an `Origin` header (a non-browser client) is always allowed: the header only
/// protects browsers' users from other sites.
public enum OriginPolicy: Sendable, Equatable {
    case any
    /// Lowercased `scheme://host[:port]` entries.
    case only(Set<String>)

    public func allows(_ origin: String?) -> Bool {
        switch self {
        case .any:
            return true
        case .only(let allowed):
            guard let origin else { return true }
            return allowed.contains(origin.lowercased())
        }
    }
}
