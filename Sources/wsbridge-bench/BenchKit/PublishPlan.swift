import NIOCore

/// Where messages are published.
public enum PublishRoute: Sendable, CustomStringConvertible {
    /// RESP `PUBLISH channel envelope` to Redis, or to bench/floor's control socket (which speaks the
    /// same command), with the native envelope `{"user":"uN","data":...}` / `{"all":true,"data":...}`.
    case resp(SocketEndpoint, channel: String)
    /// RESP `FCALL wsbridge_publish 0 envelope` to Redis: wsbridge's durable path (the library
    /// publishes on `channel`, which the wait for subscribers watches).
    case fcall(SocketEndpoint, channel: String)
    /// wsbridge's app socket: length-prefixed `{"type":"publish",...}` after a `hello` (with
    /// `"receipt":true` when `receipt`).
    case appSocket(path: String, receipt: Bool = false)
    /// Nchan's HTTP publisher: `POST PREFIX/uN` (or `PREFIX/all`) with the payload as body.
    case nchanHTTP(LoopbackEndpoint, pathPrefix: String)

    public var description: String {
        switch self {
        case .resp(let endpoint, let channel): return "RESP PUBLISH to \(endpoint) on \(channel)"
        case .fcall(let endpoint, let channel): return "RESP FCALL wsbridge_publish to \(endpoint) (channel \(channel))"
        case .appSocket(let path, let receipt): return "app socket \(path)" + (receipt ? " with receipts" : "")
        case .nchanHTTP(let endpoint, let prefix): return "HTTP POST http://\(endpoint)\(prefix)/<channel>"
        }
    }
}

/// A TCP endpoint on loopback or a Unix socket path.
public enum SocketEndpoint: Sendable, CustomStringConvertible {
    case tcp(LoopbackEndpoint)
    case unix(String)

    /// `unix:/path`, `/path`, `redis://host:port`, `tcp://host:port` or `host:port`.
    public init(parsing text: String, defaultPort: Int) throws {
        if text.hasPrefix("unix:") {
            var path = String(text.dropFirst("unix:".count))
            while path.hasPrefix("//") { path.removeFirst() }
            self = .unix(path)
        } else if text.hasPrefix("/") {
            self = .unix(text)
        } else if text.contains("://") {
            let url = try LoopbackURL(parsing: text, schemes: ["redis", "tcp"])
            self = .tcp(url.endpoint)
        } else {
            self = .tcp(try LoopbackEndpoint(parsing: text, defaultPort: defaultPort))
        }
    }

    public var description: String {
        switch self {
        case .tcp(let endpoint): return endpoint.description
        case .unix(let path): return "unix:\(path)"
        }
    }
}

/// How many messages, to whom, how fast.
public struct PublishPlan: Sendable {
    public enum Audience: Sendable {
        /// Each message to one user drawn at random among `users`.
        case randomUser(users: Int)
        case everyone
        /// Each "message" a presence query for `batch` consecutive users from one drawn among `users`
        /// (app socket only): nothing is delivered.
        case presence(users: Int, batch: Int)
    }

    public var messages: Int
    /// Messages per second, evenly spaced; nil: as fast as the acknowledgements allow.
    public var rate: Double?
    /// Publishes awaiting their acknowledgement, at most (with `rate == nil`).
    public var window: Int
    public var audience: Audience
    /// Bytes of `data` in each message (the first 16 are the send stamp).
    public var payloadBytes: Int
    /// Connections of the whole load (all processes), for the expected delivery count.
    public var connections: Int
    public var seed: UInt64

    public init(
        messages: Int, rate: Double?, window: Int, audience: Audience, payloadBytes: Int, connections: Int,
        seed: UInt64
    ) {
        self.messages = messages
        self.rate = rate
        self.window = window
        self.audience = audience
        self.payloadBytes = payloadBytes
        self.connections = connections
        self.seed = seed
    }

    /// Connections of user `u` when connection `i` belongs to user `i % users`.
    func connections(ofUser user: Int, users: Int) -> Int {
        guard users > 0 else { return 0 }
        return connections / users + (user < connections % users ? 1 : 0)
    }
}

/// What the publisher saw.
public struct PublishResult: Sendable, Codable {
    public var sent = 0
    public var acknowledged = 0
    public var errors = 0
    public var firstError: String?
    /// Sum of the integer replies to PUBLISH (Redis: subscribers that got it; floor: recipients).
    public var receiversReported = 0
    public var expectedDeliveries = 0
    public var firstSendNs: UInt64 = 0
    public var lastSendNs: UInt64 = 0
    public var lastAckNs: UInt64 = 0
    /// Most messages written in one go (rate mode: more than 1 means the tool fell behind its schedule).
    public var largestBatch = 0
    /// Publish (or query) to its reply, in nanoseconds: the median, the 99th percentile and the most
    /// (replies come in request order on every route).
    public var ackP50Ns: UInt64 = 0
    public var ackP99Ns: UInt64 = 0
    public var ackMaxNs: UInt64 = 0
}

/// SplitMix64: a small, fast, seeded generator (the draw of users is the same for every target).
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(max(bound, 1)))
    }
}
