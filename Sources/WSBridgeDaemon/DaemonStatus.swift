import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WSBridgeAdmin
import WSBridgeJSON

/// Lets parts built before the daemon (the app link, the admin listener) ask it things later.
final class StatusBox: Sendable {
    private let box = NIOLockedValueBox<Daemon?>(nil)

    var daemon: Daemon? {
        get { self.box.withLockedValue { $0 } }
        set { self.box.withLockedValue { $0 = newValue } }
    }

    func render() -> EventLoopFuture<ByteBuffer> {
        guard let daemon = self.daemon else {
            return MultiThreadedEventLoopGroup.singleton.any().makeSucceededFuture(ByteBuffer(string: "{}"))
        }
        return daemon.status()
    }

    /// The admin listener's view of the daemon.
    func adminEndpoints() -> AdminEndpoints {
        AdminEndpoints(
            health: { self.daemon?.healthProbe() ?? .fail("starting") },
            readiness: { self.daemon?.readinessProbe() ?? .fail("starting") },
            metrics: {
                guard let daemon = self.daemon else {
                    return MultiThreadedEventLoopGroup.singleton.any().makeSucceededFuture(ByteBuffer())
                }
                return daemon.renderMetrics()
            }
        )
    }
}

extension Daemon {
    /// What the daemon holds right now, as one JSON object (`wsbridge status`, the app protocol's `status`).
    /// The counters are the ones `/metrics` shows, read from the same ``MetricsSnapshot``.
    public func status() -> EventLoopFuture<ByteBuffer> {
        self.metricsSnapshot().map { snapshot in
            ByteBuffer(string: self.renderStatus(snapshot))
        }
    }

    private func renderStatus(_ s: MetricsSnapshot) -> String {
        let uptime = (NIODeadline.now() - self.startedAt).nanoseconds / 1_000_000_000
        var json = JSONObjectWriter()
        json.add("node", string: s.node)
        json.add("version", string: s.version)
        json.add("uptime_seconds", Int(uptime))
        json.add("phase", string: self.phase.value.rawValue)
        json.add("auth", string: self.configuration.auth.rawValue)
        var listen = JSONObjectWriter()
        let webSocket = self.webSocketAddressBox.withLockedValue { $0 }
        listen.add("websocket", string: webSocket?.hostPort ?? self.configuration.listen.description)
        listen.add("path", string: self.configuration.wsPath)
        listen.add("scheme", string: self.current.tlsCert == nil ? "ws" : "wss")
        if let admin = self.adminAddress {
            listen.add("admin", string: admin.hostPort)
        } else {
            listen.add("admin", raw: "null")
        }
        listen.add("app_socket", string: self.configuration.appSocket)
        json.add("listen", object: listen)
        var broker = JSONObjectWriter()
        broker.add("kind", string: s.brokerKind)
        broker.add("target", string: self.broker.displayName)
        broker.add("linked", s.brokerUp)
        broker.add("reconnects", s.brokerReconnects)
        broker.add("durable", s.brokerDurable)
        broker.add("probe_misses", s.brokerProbeMisses)
        json.add("broker", object: broker)
        var history = JSONObjectWriter()
        history.add("streams_tracked", s.streamsTracked)
        history.add("catchups", s.historyCatchUps)
        history.add("recovered_messages", s.historyRecoveredMessages)
        history.add("recoveries", s.historyRecoveries)
        history.add("gaps", s.historyGaps.values.reduce(0, +))
        history.add("session_gaps", s.historySessionGaps)
        json.add("history", object: history)
        var connections = JSONObjectWriter()
        connections.add("websocket", s.openWebSockets)
        connections.add("sse", s.openEventStreams)
        connections.add("tcp", s.openTCPConnections)
        connections.add("sessions", s.sessions)
        json.add("connections", object: connections)
        json.add("users", s.users)
        let apps = self.appLink.attachedApps.map { entry -> String in
            var item = JSONObjectWriter()
            item.add("name", string: entry.app.name)
            item.add("pid", Int(entry.app.peer?.pid ?? -1))
            item.add("uid", Int(entry.app.peer?.uid ?? UInt32.max))
            item.add("paths", raw: "[" + entry.app.paths.map(JSONText.quoted).joined(separator: ",") + "]")
            item.add("connections", entry.connections)
            return item.text
        }
        json.add("apps", raw: "[" + apps.joined(separator: ",") + "]")
        var limits = JSONObjectWriter()
        for (limit, count) in s.limitHits.sorted(by: { $0.key < $1.key }) {
            limits.add(limit, count)
        }
        limits.add("app_slow_consumer", s.appSlowConsumerDisconnects)
        json.add("limits_hit", object: limits)
        var totals = JSONObjectWriter()
        totals.add("upgrades", s.connects)
        totals.add("auth_refusals", s.authRefusals.values.reduce(0, +))
        totals.add("client_messages", s.clientMessages)
        totals.add("invalid_channel_messages", s.invalidChannelMessages)
        for (source, count) in s.deliveries.sorted(by: { $0.key < $1.key }) {
            totals.add("deliveries_\(source)", count)
        }
        totals.add("flushes", s.flushes)
        totals.add("broker_messages_in", s.brokerMessagesIn)
        totals.add("broker_messages_out", s.brokerMessagesOut)
        totals.add("app_attaches", s.appAttaches)
        totals.add("app_frames_in", s.appFramesIn)
        totals.add("app_frames_out", s.appFramesOut)
        json.add("counters", object: totals)
        return json.text
    }
}

/// Writes one flat JSON object, member by member.
struct JSONObjectWriter {
    private var members: [String] = []

    mutating func add(_ key: String, raw: String) { self.members.append(JSONText.quoted(key) + ":" + raw) }
    mutating func add(_ key: String, string: String) { self.add(key, raw: JSONText.quoted(string)) }
    mutating func add(_ key: String, _ value: Int) { self.add(key, raw: String(value)) }
    mutating func add(_ key: String, _ value: Bool) { self.add(key, raw: value ? "true" : "false") }
    mutating func add(_ key: String, object: JSONObjectWriter) { self.add(key, raw: object.text) }

    var text: String { "{" + self.members.joined(separator: ",") + "}" }
}
