import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WSBridgeBroker
import WSBridgeCore
import WSBridgeJSON

/// Lets parts built before the daemon (the app link) ask it for its status later.
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
}

extension Daemon {
    /// What the daemon holds right now, as one JSON object (`wsbridge status`, the app protocol's `status`).
    public func status() -> EventLoopFuture<ByteBuffer> {
        self.router.snapshot().map { snapshot in
            ByteBuffer(string: self.renderStatus(snapshot))
        }
    }

    private func renderStatus(_ snapshot: RegistrySnapshot) -> String {
        let counters = self.edge.counters
        let app = self.appLink.counters
        let uptime = (NIODeadline.now() - self.startedAt).nanoseconds / 1_000_000_000
        var json = JSONObjectWriter()
        json.add("node", string: self.configuration.nodeID)
        json.add("version", string: WSBridgeVersion.string)
        json.add("uptime_seconds", Int(uptime))
        var broker = JSONObjectWriter()
        broker.add("kind", string: self.broker is EmbeddedBroker ? "embedded" : "redis")
        broker.add("target", string: self.broker.displayName)
        broker.add("linked", self.broker.isLinked)
        broker.add("reconnects", (self.broker as? RedisBroker)?.reconnectCount ?? 0)
        json.add("broker", object: broker)
        var connections = JSONObjectWriter()
        connections.add("websocket", counters.openWebSockets.load(ordering: .relaxed))
        connections.add("tcp", counters.openConnections.load(ordering: .relaxed))
        connections.add("sessions", snapshot.sessions)
        json.add("connections", object: connections)
        json.add("users", snapshot.usersAcrossShards)
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
        limits.add("slow_consumer", snapshot.limitHits(.slowConsumer))
        limits.add("message_too_big", snapshot.limitHits(.messageTooBig))
        limits.add("idle_timeout", snapshot.limitHits(.idleTimeout))
        limits.add("handshake_timeout", counters.handshakeTimeouts.load(ordering: .relaxed))
        limits.add("max_connections", counters.connectionLimitRefusals.load(ordering: .relaxed))
        limits.add("app_slow_consumer", app.slowConsumerDisconnects.load(ordering: .relaxed))
        json.add("limits_hit", object: limits)
        var totals = JSONObjectWriter()
        totals.add("upgrades", counters.upgrades.load(ordering: .relaxed))
        totals.add("auth_refusals", counters.authRefusals.load(ordering: .relaxed))
        totals.add("client_messages", counters.clientMessages.load(ordering: .relaxed))
        totals.add("invalid_channel_messages", snapshot.invalidMessages)
        for source in DeliverySource.allCases {
            totals.add("deliveries_\(source.rawValue)", snapshot.deliveries(from: source))
        }
        totals.add("app_attaches", app.attaches.load(ordering: .relaxed))
        totals.add("app_frames_in", app.framesIn.load(ordering: .relaxed))
        totals.add("app_frames_out", app.framesOut.load(ordering: .relaxed))
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
