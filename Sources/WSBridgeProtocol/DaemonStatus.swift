/// What a running daemon holds: the `status` object of the app protocol's `status` reply, which
/// `wsbridge status --json` prints and `wsbridge status` renders. Its members are documented in
/// docs/operations.md ("Status"); their JSON names are a contract for scripts.
///
/// The daemon fills it from one metrics snapshot (the counters `/metrics` shows) and encodes it; the CLI
/// decodes it. Every member is always written; a member added later is an optional property, so that
/// an older reader ignores it and a newer reader of an older daemon finds nil (see ``Connections``).
public struct DaemonStatus: Codable, Sendable, Equatable {
    /// `node_id`.
    public var node: String
    /// The wsbridge version.
    public var version: String
    /// Seconds since the daemon started.
    public var uptimeSeconds: Int
    /// `starting`, `ready`, `draining` or `stopped`, as `/readyz` says it.
    public var phase: String
    /// The `auth` mode: `app`, `jwt` or `insecure-query`.
    public var auth: String
    public var listen: Listen
    public var broker: Broker
    public var history: History
    public var connections: Connections
    /// Distinct users with a session on this node.
    public var users: Int
    /// The attached apps (tools left out).
    public var apps: [App]
    /// Hits per limit (the `limit` label of `wsbridge_limit_hits_total`), plus `app_slow_consumer`.
    public var limitsHit: [String: Int]
    /// `upgrades`, `auth_refusals`, `client_messages`, `invalid_channel_messages`, `deliveries_<source>`,
    /// `flushes`, `broker_messages_in`/`_out`, `app_attaches`, `app_frames_in`/`_out`.
    public var counters: [String: Int]

    public init(
        node: String, version: String, uptimeSeconds: Int, phase: String, auth: String, listen: Listen, broker: Broker,
        history: History, connections: Connections, users: Int, apps: [App], limitsHit: [String: Int],
        counters: [String: Int]
    ) {
        self.node = node
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.phase = phase
        self.auth = auth
        self.listen = listen
        self.broker = broker
        self.history = history
        self.connections = connections
        self.users = users
        self.apps = apps
        self.limitsHit = limitsHit
        self.counters = counters
    }

    enum CodingKeys: String, CodingKey {
        case node, version, phase, auth, listen, broker, history, connections, users, apps, counters
        case uptimeSeconds = "uptime_seconds"
        case limitsHit = "limits_hit"
    }

    /// Where the daemon listens.
    public struct Listen: Codable, Sendable, Equatable {
        /// The WebSocket listener's bound address (port 0 resolved).
        public var websocket: String
        /// `ws_path`.
        public var path: String
        /// `ws`, or `wss` with TLS.
        public var scheme: String
        /// The admin listener's bound address; nil (JSON `null`) with `admin_listen = off`.
        public var admin: String?
        /// `app_socket`.
        public var appSocket: String

        public init(websocket: String, path: String, scheme: String, admin: String?, appSocket: String) {
            self.websocket = websocket
            self.path = path
            self.scheme = scheme
            self.admin = admin
            self.appSocket = appSocket
        }

        enum CodingKeys: String, CodingKey {
            case websocket, path, scheme, admin
            case appSocket = "app_socket"
        }

        /// `admin` is written as `null` when there is no admin listener, never left out.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.websocket, forKey: .websocket)
            try container.encode(self.path, forKey: .path)
            try container.encode(self.scheme, forKey: .scheme)
            try container.encode(self.admin, forKey: .admin)
            try container.encode(self.appSocket, forKey: .appSocket)
        }
    }

    /// The broker's state.
    public struct Broker: Codable, Sendable, Equatable {
        /// `redis` or `embedded`.
        public var kind: String
        /// The Redis URL without its password, or `embedded`.
        public var target: String
        /// Whether the subscription is up.
        public var linked: Bool
        public var reconnects: Int
        /// Whether publishes are durable (kept in the history, with a position).
        public var durable: Bool
        public var probeMisses: Int

        public init(kind: String, target: String, linked: Bool, reconnects: Int, durable: Bool, probeMisses: Int) {
            self.kind = kind
            self.target = target
            self.linked = linked
            self.reconnects = reconnects
            self.durable = durable
            self.probeMisses = probeMisses
        }

        enum CodingKeys: String, CodingKey {
            case kind, target, linked, reconnects, durable
            case probeMisses = "probe_misses"
        }
    }

    /// The history counters, as the history metrics count them.
    public struct History: Codable, Sendable, Equatable {
        public var streamsTracked: Int
        public var catchups: Int
        public var recoveredMessages: Int
        public var recoveries: Int
        public var gaps: Int
        public var sessionGaps: Int

        public init(streamsTracked: Int, catchups: Int, recoveredMessages: Int, recoveries: Int, gaps: Int, sessionGaps: Int) {
            self.streamsTracked = streamsTracked
            self.catchups = catchups
            self.recoveredMessages = recoveredMessages
            self.recoveries = recoveries
            self.gaps = gaps
            self.sessionGaps = sessionGaps
        }

        enum CodingKeys: String, CodingKey {
            case catchups, recoveries, gaps
            case streamsTracked = "streams_tracked"
            case recoveredMessages = "recovered_messages"
            case sessionGaps = "session_gaps"
        }
    }

    /// What is open now, by kind.
    ///
    /// A kind counted later is one more optional property (as `sse` was): written only by a daemon that
    /// counts it, nil when read from one that does not, and ignored by a reader that does not know it.
    /// The human form (`wsbridge status`) names each kind present.
    public struct Connections: Codable, Sendable, Equatable {
        /// Upgraded WebSocket connections.
        public var websocket: Int
        /// Server-sent-events streams (`sse_path`); nil from a daemon older than the fallback.
        public var sse: Int?
        /// Connections on the public listener, handshakes included.
        public var tcp: Int
        /// Sessions: WebSocket connections, event streams and app sessions.
        public var sessions: Int

        public init(websocket: Int, sse: Int? = nil, tcp: Int, sessions: Int) {
            self.websocket = websocket
            self.sse = sse
            self.tcp = tcp
            self.sessions = sessions
        }
    }

    /// One attached app.
    public struct App: Codable, Sendable, Equatable {
        public var name: String
        /// Its process, from the socket's peer credentials (-1 when unknown).
        public var pid: Int
        /// Its user (4294967295 when unknown).
        public var uid: Int
        /// The WebSocket paths it serves.
        public var paths: [String]
        /// Connections pinned to it.
        public var connections: Int

        public init(name: String, pid: Int, uid: Int, paths: [String], connections: Int) {
            self.name = name
            self.pid = pid
            self.uid = uid
            self.paths = paths
            self.connections = connections
        }
    }
}
