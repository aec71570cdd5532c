/// Every number `/metrics` shows (and `wsbridge status` shows most of), read at one moment from where
/// it is counted: per-shard counters (summed over the event loops), relaxed atomics, the broker.
///
/// Plain data, so that the admin module knows nothing of the daemon's parts. Dictionaries are keyed by
/// label value; the daemon fills in every possible label value (zero included), so that each series
/// exists from the first scrape and `rate()` and `increase()` see its first increments.
public struct MetricsSnapshot: Sendable, Equatable {
    // Identity.
    public var node = ""
    public var version = ""
    /// Process start, seconds since the Unix epoch.
    public var startTimeSeconds = 0.0

    // WebSocket edge.
    /// The configured WebSocket path (`ws_path`), the `path` label of open connections.
    public var webSocketPath = "/ws"
    /// Upgraded WebSocket connections open now.
    public var openWebSockets = 0
    /// The server-sent-events path (`sse_path`), the `path` label of open streams; nil when off.
    public var eventStreamPath: String?
    /// Server-sent-events streams open now, and opened since start.
    public var openEventStreams = 0
    public var eventStreamConnects = 0
    /// TCP connections open on the public listener, handshakes included.
    public var openTCPConnections = 0
    /// Sessions held (WebSocket connections and app sessions).
    public var sessions = 0
    /// Distinct users with a session on this node.
    public var users = 0
    /// WebSocket upgrades since start.
    public var connects = 0
    /// Ended WebSocket connections by close code label.
    public var disconnects: [String: Int] = [:]
    /// Refused handshakes by reason.
    public var authRefusals: [String: Int] = [:]
    /// Client messages received.
    public var clientMessages = 0
    /// Client messages on a connection no app serves (dropped).
    public var unroutedClientMessages = 0
    /// Upgrades that negotiated permessage-deflate.
    public var deflateConnects = 0
    /// Server messages compressed and client messages inflated.
    public var deflatedMessages = 0
    public var inflatedMessages = 0
    /// Payload bytes into and out of the compressions.
    public var deflateBytesUncompressed = 0
    public var deflateBytesCompressed = 0
    /// Messages written to local sessions (one per recipient), by source.
    public var deliveries: [String: Int] = [:]
    /// Flushes the event loops issued to sessions after writing deliveries (fewer than deliveries when
    /// batches or a write-coalescing window put several messages in one flush).
    public var flushes = 0
    /// Limit hits by limit.
    public var limitHits: [String: Int] = [:]
    /// The most bytes seen pending in one connection's outbound buffer, since start.
    public var outboundQueueHighWater = 0
    /// The most bytes pending in one connection's outbound buffer at the last heartbeat.
    public var outboundQueueLargest = 0

    // Broker.
    /// `redis` or `embedded`.
    public var brokerKind = "embedded"
    public var brokerUp = false
    public var brokerReconnects = 0
    /// Linked Redis connections closed by the health check (`broker_health_interval`).
    public var brokerHealthTimeouts = 0
    /// Per-user routing: users whose sharded channels are subscribed, and the commands sent for them.
    public var brokerUserChannels = 0
    public var brokerUserSubscriptionCommands = 0
    /// Messages the broker handed to wsbridge (valid or not).
    public var brokerMessagesIn = 0
    /// Messages wsbridge published through the broker (`publish` from apps and the CLI).
    public var brokerMessagesOut = 0
    public var brokerPublishFailures = 0
    /// Messages on the channel that could not be parsed.
    public var invalidChannelMessages = 0
    /// Whether publishes are durable right now (the Redis function library is usable, or the embedded
    /// broker keeps history).
    public var brokerDurable = false
    /// Liveness probes that did not come back (each rebuilt the subscription), and the round trip of
    /// the last one that did, in seconds.
    public var brokerProbeMisses = 0
    public var brokerProbeRoundTripSeconds = 0.0

    // History.
    /// Streams whose position the node tracks (its users' and `all`).
    public var streamsTracked = 0
    /// The embedded broker's history (0 with Redis): streams with a position, and messages held
    /// (counted once per stream they are in).
    public var embeddedHistoryStreams = 0
    public var embeddedHistoryMessages = 0
    /// Streams that started catching up from the history.
    public var historyCatchUps = 0
    /// Messages delivered from the history (catch-ups and session recoveries).
    public var historyRecoveredMessages = 0
    /// Sessions that started from `since` and got what they missed.
    public var historyRecoveries = 0
    /// Gaps the node found in its streams, by reason; and gaps reported to sessions in their recovery.
    public var historyGaps: [String: Int] = [:]
    public var historySessionGaps = 0
    /// History reads sent, and those that failed (retried).
    public var historyFetches = 0
    public var historyFetchFailures = 0

    // Presence and receipts.
    public var presenceQueries = 0
    public var presenceQueryFailures = 0
    public var presenceQueriedUsers = 0
    public var presenceWrites = 0
    public var presenceWriteFailures = 0
    public var presenceEvents = 0
    public var receiptsCompleted = 0
    public var receiptsTimedOut = 0
    public var receiptUnknownHosts = 0
    public var receiptReportsIn = 0
    public var receiptReportsOut = 0

    // Apps.
    public var appsAttached = 0
    public var appAttaches = 0
    public var appFramesIn = 0
    public var appFramesOut = 0
    /// `error` frames sent to apps, by code.
    public var appErrors: [String: Int] = [:]
    public var appSlowConsumerDisconnects = 0
    /// Peers refused on the app socket (uid not in `app_allowed_uids`).
    public var appRefusedPeers = 0

    // Process.
    /// Open file descriptors, if the platform tells.
    public var openFileDescriptors: Int?
    /// The soft limit on file descriptors (`RLIMIT_NOFILE`), if the platform tells.
    public var maxFileDescriptors: Int?
    /// User plus system CPU seconds, resident and virtual memory in bytes, if the platform tells.
    public var processCPUSeconds: Double?
    public var processResidentBytes: Int?
    public var processVirtualBytes: Int?

    public init() {}
}
