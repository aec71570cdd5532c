extension MetricInfo {
    // Identity and process.
    static let buildInfo = MetricInfo(
        "wsbridge_build_info", .gauge, labels: ["version", "node"], "Always 1; the labels name the wsbridge version and the node_id.")
    static let startTime = MetricInfo(
        "wsbridge_start_time_seconds", .gauge, "Deprecated, the same as process_start_time_seconds.")
    static let openFDs = MetricInfo(
        "wsbridge_open_fds", .gauge, "Deprecated, the same as process_open_fds.")
    static let maxFDs = MetricInfo(
        "wsbridge_max_fds", .gauge, "Deprecated, the same as process_max_fds.")

    // The standard process metrics (the Prometheus client libraries' names and meanings).
    static let processCPU = MetricInfo(
        "process_cpu_seconds_total", .counter, "User and system CPU time spent, in seconds.")
    static let processResident = MetricInfo(
        "process_resident_memory_bytes", .gauge, "Resident memory size, in bytes.")
    static let processVirtual = MetricInfo(
        "process_virtual_memory_bytes", .gauge, "Virtual memory size, in bytes.")
    static let processOpenFDs = MetricInfo(
        "process_open_fds", .gauge, "Open file descriptors (every client connection is one).")
    static let processMaxFDs = MetricInfo(
        "process_max_fds", .gauge, "The soft limit on open file descriptors (RLIMIT_NOFILE).")
    static let processStartTime = MetricInfo(
        "process_start_time_seconds", .gauge, "When the process started, in seconds since the Unix epoch.")

    // WebSocket edge.
    static let connectionsOpen = MetricInfo(
        "wsbridge_connections_open", .gauge, labels: ["path"],
        "Client connections open now: upgraded WebSockets on ws_path, server-sent-events streams on sse_path.")
    static let tcpConnectionsOpen = MetricInfo(
        "wsbridge_tcp_connections_open", .gauge, "TCP connections open on the public listener, handshakes included.")
    static let sessions = MetricInfo(
        "wsbridge_sessions", .gauge, "Sessions held: WebSocket connections plus sessions registered by apps.")
    static let users = MetricInfo(
        "wsbridge_users", .gauge, "Distinct users with a session on this node (each counted once, however many sessions and event loops).")
    static let connects = MetricInfo(
        "wsbridge_connects_total", .counter, "WebSocket upgrades completed.")
    static let eventStreamConnects = MetricInfo(
        "wsbridge_sse_connects_total", .counter, "Server-sent-events streams opened (sse_path).")
    static let disconnects = MetricInfo(
        "wsbridge_disconnects_total", .counter, labels: ["code"],
        "Client connections ended, by close code (1005: no code, 1006: no close frame, other: any code not listed; an event stream ends with the code of its close event, 1006 without one).")
    static let authRefusals = MetricInfo(
        "wsbridge_auth_refusals_total", .counter, labels: ["reason"], "WebSocket handshakes refused before the upgrade, by reason.")
    static let clientMessages = MetricInfo(
        "wsbridge_client_messages_total", .counter, "Messages received from WebSocket clients.")
    static let unroutedClientMessages = MetricInfo(
        "wsbridge_client_messages_unrouted_total", .counter, "Client messages dropped because no attached app serves their connection.")
    static let deflateConnects = MetricInfo(
        "wsbridge_deflate_connects_total", .counter, "WebSocket upgrades that negotiated permessage-deflate.")
    static let deflateMessages = MetricInfo(
        "wsbridge_deflate_messages_total", .counter, labels: ["direction"],
        "Messages compressed (out: once per broadcast and window size) and client messages inflated (in).")
    static let deflateBytes = MetricInfo(
        "wsbridge_deflate_bytes_total", .counter, labels: ["stage"],
        "Payload bytes of the server messages compressed, before (uncompressed) and after (compressed).")
    static let deliveries = MetricInfo(
        "wsbridge_deliveries_total", .counter, labels: ["source"],
        "Messages written to local sessions, one per recipient, by where the message entered wsbridge.")
    static let flushes = MetricInfo(
        "wsbridge_flushes_total", .counter,
        "Flushes issued to local sessions after writing deliveries: one per recipient per batch, or per write-coalescing window.")
    static let deliveryLatency = MetricInfo(
        "wsbridge_delivery_latency_seconds", .histogram,
        "Time from a message's arrival at wsbridge to the flush that wrote it, once per message per event loop.")
    static let limitHits = MetricInfo(
        "wsbridge_limit_hits_total", .counter, labels: ["limit"],
        "Connections closed or refused, or accepts failed, because a limit was reached, by limit.")
    static let queueHighWater = MetricInfo(
        "wsbridge_outbound_queue_high_water_bytes", .gauge,
        "Most bytes seen waiting in one WebSocket connection's outbound buffer since start.")
    static let queueLargest = MetricInfo(
        "wsbridge_outbound_queue_largest_bytes", .gauge,
        "Most bytes waiting in one WebSocket connection's outbound buffer at the last heartbeat.")

    // Broker.
    static let brokerUp = MetricInfo(
        "wsbridge_broker_up", .gauge, labels: ["broker"], "1 while the broker link (the subscription) is up, else 0.")
    static let brokerReconnects = MetricInfo(
        "wsbridge_broker_reconnects_total", .counter, "Broker connections re-established after being lost.")
    static let brokerHealthTimeouts = MetricInfo(
        "wsbridge_broker_health_timeouts_total", .counter,
        "Broker connections closed because Redis stopped answering (no reply to the health check's PING).")
    static let brokerUserChannels = MetricInfo(
        "wsbridge_broker_user_channels", .gauge,
        "Users whose sharded channels this node subscribes to (routing = per-user; 0 otherwise).")
    static let brokerUserSubscriptionCommands = MetricInfo(
        "wsbridge_broker_user_subscription_commands_total", .counter,
        "SSUBSCRIBE and SUNSUBSCRIBE commands sent for users' channels (routing = per-user).")
    static let brokerMessages = MetricInfo(
        "wsbridge_broker_messages_total", .counter, labels: ["direction"],
        "Messages received from the broker (in) and published through it (out).")
    static let brokerPublishFailures = MetricInfo(
        "wsbridge_broker_publish_failures_total", .counter, "Publishes the broker did not accept (link down, Redis error).")
    static let invalidChannelMessages = MetricInfo(
        "wsbridge_invalid_channel_messages_total", .counter, "Messages on the channel that were not a valid envelope (dropped).")

    static let brokerDurable = MetricInfo(
        "wsbridge_broker_durable", .gauge,
        "1 while publishes are durable (the Redis function library is usable, or the embedded broker keeps history), else 0.")
    static let brokerProbeMisses = MetricInfo(
        "wsbridge_broker_probe_misses_total", .counter,
        "Liveness probes that did not come back on the subscription; each rebuilt it.")
    static let brokerProbeRoundTrip = MetricInfo(
        "wsbridge_broker_probe_round_trip_seconds", .gauge,
        "Round trip of the last liveness probe that came back (publish to receipt on the subscription).")

    // History.
    static let streamsTracked = MetricInfo(
        "wsbridge_history_streams_tracked", .gauge, "Streams whose position this node tracks: its users' and all.")
    static let embeddedHistoryStreams = MetricInfo(
        "wsbridge_embedded_history_streams", .gauge,
        "Streams the embedded broker keeps a position for, until history_meta_ttl after their last use (0 with Redis).")
    static let embeddedHistoryMessages = MetricInfo(
        "wsbridge_embedded_history_messages", .gauge,
        "Messages the embedded broker's history holds, once per stream they are in: at most history_size per stream, for history_ttl (0 with Redis).")
    static let historyCatchUps = MetricInfo(
        "wsbridge_history_catchups_total", .counter,
        "Streams that caught up from the history: after the subscription came back, or a hole or new epoch was seen.")
    static let historyRecovered = MetricInfo(
        "wsbridge_history_recovered_messages_total", .counter,
        "Messages delivered from the history, by catch-ups and session recoveries.")
    static let historyRecoveries = MetricInfo(
        "wsbridge_history_recoveries_total", .counter, "Sessions that started from since and were given what they missed.")
    static let historyGaps = MetricInfo(
        "wsbridge_history_gaps_total", .counter, labels: ["reason"],
        "Gaps this node found in its streams (messages the history no longer has), by reason.")
    static let historySessionGaps = MetricInfo(
        "wsbridge_history_session_gaps_total", .counter, "Gaps reported to sessions whose since the history no longer covers.")
    static let historyFetches = MetricInfo(
        "wsbridge_history_fetches_total", .counter, labels: ["result"], "History reads sent to the broker, by result (ok, failed).")

    // Presence and receipts.
    static let presenceQueries = MetricInfo(
        "wsbridge_presence_queries_total", .counter, labels: ["result"],
        "Presence queries answered (ok) or not (failed: Redis unreachable or without the function library).")
    static let presenceQueriedUsers = MetricInfo(
        "wsbridge_presence_queried_users_total", .counter, "Users looked up by presence queries (a query may name many).")
    static let presenceWrites = MetricInfo(
        "wsbridge_presence_writes_total", .counter, labels: ["result"],
        "Writes of this node's presence to Redis (changes and heartbeats), by result; a failed one is retried whole.")
    static let presenceEvents = MetricInfo(
        "wsbridge_presence_events_total", .counter, "online and offline events handed to the apps that asked for them.")
    static let receipts = MetricInfo(
        "wsbridge_receipts_total", .counter, labels: ["outcome"],
        "Receipts answered: complete (every expected host reported) or window (receipt_window ended first).")
    static let receiptUnknownHosts = MetricInfo(
        "wsbridge_receipt_unknown_hosts_total", .counter, "Expected hosts that did not report within receipt_window, over all receipts.")
    static let receiptReports = MetricInfo(
        "wsbridge_receipt_reports_total", .counter, labels: ["direction"],
        "Receipt reports received from other hosts (in) and sent to them (out).")

    // Apps.
    static let appsAttached = MetricInfo(
        "wsbridge_apps_attached", .gauge, "Apps attached to the app socket now (tools such as wsbridge status and publish not counted).")
    static let appAttaches = MetricInfo(
        "wsbridge_app_attaches_total", .counter, "Apps that attached (completed hello), tools not counted.")
    static let appFrames = MetricInfo(
        "wsbridge_app_frames_total", .counter, labels: ["direction"], "App-protocol frames received from apps (in) and sent to them (out).")
    static let appErrors = MetricInfo(
        "wsbridge_app_errors_total", .counter, labels: ["code"], "error frames sent to apps, by error code.")
    static let appSlowConsumers = MetricInfo(
        "wsbridge_app_slow_consumer_disconnects_total", .counter, "Apps disconnected for leaving more than app_max_queue_bytes unread.")
    static let appRefusedPeers = MetricInfo(
        "wsbridge_app_refused_peers_total", .counter, "Connections to the app socket refused because their uid is not in app_allowed_uids.")

    /// Every family, in the order of docs/operations.md.
    public static let all: [MetricInfo] = [
        .buildInfo, .startTime, .openFDs, .maxFDs,
        .processCPU, .processResident, .processVirtual, .processOpenFDs, .processMaxFDs, .processStartTime,
        .connectionsOpen, .tcpConnectionsOpen, .sessions, .users, .connects, .eventStreamConnects, .disconnects, .authRefusals,
        .clientMessages, .unroutedClientMessages, .deflateConnects, .deflateMessages, .deflateBytes, .deliveries, .flushes, .deliveryLatency, .limitHits, .queueHighWater, .queueLargest,
        .brokerUp, .brokerReconnects, .brokerHealthTimeouts, .brokerUserChannels, .brokerUserSubscriptionCommands, .brokerMessages, .brokerPublishFailures, .invalidChannelMessages,
        .brokerDurable, .brokerProbeMisses, .brokerProbeRoundTrip,
        .streamsTracked, .embeddedHistoryStreams, .embeddedHistoryMessages, .historyCatchUps, .historyRecovered, .historyRecoveries, .historyGaps, .historySessionGaps,
        .historyFetches,
        .presenceQueries, .presenceQueriedUsers, .presenceWrites, .presenceEvents, .receipts, .receiptUnknownHosts,
        .receiptReports,
        .appsAttached, .appAttaches, .appFrames, .appErrors, .appSlowConsumers, .appRefusedPeers,
    ]
}
