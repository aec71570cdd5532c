import Logging
import NIOCore
import WSBridgeAppLink
import WSBridgeBroker
import WSBridgeConfig
import WSBridgeCore
import WSBridgeEdge
import WSBridgeSystem

extension Daemon {
    /// The configuration in force (the last one that loaded without errors).
    public var current: WSBridgeConfiguration { self.live.withLockedValue { $0 } }

    /// Links the broker, starts the heartbeats, opens the admin listener (`admin_listen`, never
    /// socket-activated), then listens: on the sockets systemd passed (`activated`), or on `listen` and
    /// `app_socket`. Tells systemd READY=1 and turns `/readyz` to 200 at the end. Returns the WebSocket
    /// listener's address. A start that fails half-way undoes what it started (the app socket file it
    /// created is removed, the admin listener and the broker link closed) before it throws.
    @discardableResult
    public func start(activated: ActivatedSockets = ActivatedSockets()) async throws -> SocketAddress? {
        do {
            return try await self.startParts(activated: activated)
        } catch {
            // Stopped first, so the broker link closing below is logged as such, not as a link down.
            self.phase.value = .stopped
            try? await self.server.stopAccepting().get()
            await self.appServer.stopAccepting()
            await self.admin?.stop()
            self.router.tracker?.stop()
            try? await self.receipts.stop().get()
            try? await self.presence.stop().get()
            try? await self.broker.shutdown().get()
            throw error
        }
    }

    private func startParts(activated: ActivatedSockets) async throws -> SocketAddress? {
        let router = self.router
        let source: DeliverySource = self.broker is EmbeddedBroker ? .embedded : .redis
        let logger = self.logger
        let brokerName = self.broker.displayName
        let traffic = self.brokerTraffic
        let presence = self.presence
        let receipts = self.receipts
        let presenceChannel = PresenceService.eventChannel(self.configuration.channel)
        let reportChannel = receipts.reportChannel
        let phase = self.phase
        self.broker.start(
            handler: BrokerHandler(
                received: { messages in
                    traffic.countReceived(messages.count)
                    router.route(messages, source: source)
                },
                linkChanged: { [weak self] linked in
                    router.tracker?.linkChanged(linked)
                    presence.linkChanged(linked)
                    if linked {
                        logger.info("broker linked", metadata: ["wsb.broker": "\(brokerName)"])
                        self?.announceReadyIfDue()
                    } else if phase.value == .draining || phase.value == .stopped {
                        logger.info("broker unlinked", metadata: ["wsb.broker": "\(brokerName)"])
                    } else {
                        logger.warning("broker link down", metadata: ["wsb.broker": "\(brokerName)"])
                    }
                },
                sideReceived: { channel, payload in
                    if channel == presenceChannel {
                        presence.eventReceived(payload)
                    } else if channel == reportChannel {
                        receipts.reportReceived(payload)
                    }
                }
            )
        )
        presence.start()
        let interval = self.edge.settings.heartbeatInterval
        _ = try await router.collect { shard in shard.startHeartbeat(interval: interval) }.get()
        try await self.startAdmin()

        if let descriptor = activated.app {
            try await self.appServer.adopt(descriptor: descriptor)
            logger.notice("listening", metadata: ["wsb.listener": "app", "wsb.address": "fd \(descriptor) (socket activation)"])
        } else {
            let path = self.configuration.appSocket
            try await ListenerStartError.naming(.app, address: path) { try await self.appServer.bind(path: path) }
        }
        let address: SocketAddress?
        if let descriptor = activated.webSocket {
            address = try await self.server.adopt(descriptor: descriptor).get()
        } else {
            let listen = self.configuration.listen
            address = try await ListenerStartError.naming(.webSocket, address: listen.description) {
                try await self.server.bind(host: listen.host, port: listen.port).get()
            }
        }
        self.webSocketAddressBox.withLockedValue { $0 = address }
        self.logger.notice(
            "listening",
            metadata: [
                "wsb.listener": "websocket",
                "wsb.address": "\(address?.hostPort ?? self.configuration.listen.description)",
                "wsb.activated": "\(activated.webSocket != nil)",
                "wsb.path": "\(self.configuration.wsPath)",
                "wsb.scheme": "\(self.configuration.tlsCert == nil ? "ws" : "wss")",
                "wsb.broker": "\(brokerName)",
                "wsb.auth": "\(self.configuration.auth.rawValue)",
                "wsb.node": "\(self.configuration.nodeID)",
                "wsb.event_loops": .stringConvertible(router.eventLoops.count),
            ]
        )
        let loop = router.eventLoops[0]
        self.phase.value = .ready
        self.announceReadyIfDue()
        self.notifier.startWatchdog(on: loop, logger: logger) { true }
        self.startSummary(on: loop)
        if self.notifier.isSupervised {
            let task = loop.scheduleRepeatedAsyncTask(initialDelay: .seconds(1), delay: .seconds(5)) { _ in
                let registry = self.router.snapshot()
                let users = self.router.tracker?.snapshot().hop(to: registry.eventLoop).map(\.users)
                    ?? registry.eventLoop.makeSucceededFuture(nil)
                return registry.and(users).map { snapshot, users in
                    self.notifier.status(self.statusLine(snapshot, users: users ?? snapshot.usersAcrossShards))
                }
            }
            self.statusTask.withLockedValue { $0 = task }
        }
        return address
    }

    /// Publishes a raw channel message (an envelope) to every host through the broker; succeeds with
    /// the positions it got when published durably.
    public func publish(_ message: ByteBuffer) -> EventLoopFuture<String?> {
        self.brokerTraffic.track(self.broker.publish(message)).map(\.positions)
    }

    /// A gap the node found in one of its streams: apps are told, it is counted (by the tracker) and
    /// logged at a bounded rate.
    func gapFound(_ gap: StreamGap) {
        self.appLink.announceGap(gap)
        self.gapLog.log(
            "messages lost: the history does not cover them",
            level: .warning,
            metadata: [
                "wsb.stream": "\(gap.stream)", "wsb.reason": "\(gap.reason.rawValue)",
                "wsb.after": "\(gap.after.map { "\($0)" } ?? "-")", "wsb.resumes_after": "\(gap.resumesAfter)",
                "wsb.missed": "\(gap.missed.map { "\($0)" } ?? "unknown")",
            ],
            to: self.logger)
    }

    /// Drains and stops: stops accepting, tells attached apps (`shutdown`), closes WebSocket clients with
    /// 1001 spread over `drain_timeout` (so they do not all reconnect elsewhere at once), waits until the
    /// last has closed (at most the window plus `close_timeout`), then unlinks the broker, flushes what still waits for a
    /// write-coalescing window (app sessions) and stops the event loops. `/readyz` answers 503 from the
    /// first step; the admin listener closes last, so `/metrics` can be scraped during the drain.
    public func shutdown() async {
        let configuration = self.current
        let window = TimeAmount(configuration.drainTimeout)
        self.phase.value = .draining
        self.logger.notice("draining", metadata: ["wsb.drain_ms": .stringConvertible(window.nanoseconds / 1_000_000)])
        self.notifier.stopping(status: "draining")
        self.notifier.stopWatchdog()
        self.statusTask.withLockedValue { $0?.cancel(); $0 = nil }
        self.summaryTask.withLockedValue { $0?.cancel(); $0 = nil }
        try? await self.server.stopAccepting().get()
        await self.appServer.stopAccepting()
        self.appLink.announceShutdown(drainMilliseconds: Int(window.nanoseconds / 1_000_000))
        _ = try? await self.router.collect { shard in shard.stopHeartbeat() }.get()
        // Over when the last client's connection closes: the future is their close futures.
        let closed = self.edge.drainConnections(over: window)
        await closed.completion(before: .now() + window + TimeAmount(configuration.closeTimeout))
        self.router.tracker?.stop()
        try? await self.receipts.stop().get()
        try? await self.presence.stop().get()
        try? await self.broker.shutdown().get()
        // No more deliveries come: what waits for a write-coalescing window goes out now.
        _ = try? await self.router.collect { shard in shard.flush() }.get()
        await self.admin?.stop()
        self.phase.value = .stopped
        self.logger.notice("stopped")
        if self.ownsGroup {
            try? await self.group.shutdownGracefully()
        }
    }

    /// Applies a new configuration: the reloadable keys take effect for what happens next (new
    /// connections, new handshakes, log lines, the next batch of deliveries on each event loop); open
    /// connections stay. Changed keys that need a restart are named in the log and left as they were.
    /// Returns the keys applied and those ignored.
    @discardableResult
    public func reload(_ new: WSBridgeConfiguration) throws -> (applied: [ConfigKey], needRestart: [ConfigKey]) {
        self.notifier.reloading()
        defer { self.notifier.ready(status: "reloaded") }
        let old = self.current
        let changed = new.changedKeys(comparedTo: old)
        var applied = changed.filter(\.reloadable)
        var needRestart = changed.filter { !$0.reloadable }
        var effective = new
        // What cannot change live keeps its old value, so settings built from `effective` stay coherent.
        effective.listen = old.listen
        effective.adminListen = old.adminListen
        effective.wsPath = old.wsPath
        effective.ssePath = old.ssePath
        effective.appSocket = old.appSocket
        effective.maxFrameBytes = old.maxFrameBytes
        effective.appSocketMode = old.appSocketMode
        effective.redis = old.redis
        effective.channel = old.channel
        effective.compatUserField = old.compatUserField
        effective.nodeID = old.nodeID
        effective.auth = old.auth
        effective.eventLoops = old.eventLoops
        effective.brokerReconnectMax = old.brokerReconnectMax
        effective.brokerHealthInterval = old.brokerHealthInterval
        effective.brokerProbeInterval = old.brokerProbeInterval
        effective.historySize = old.historySize
        effective.historyTTL = old.historyTTL
        effective.historyMetaTTL = old.historyMetaTTL
        effective.presenceTTL = old.presenceTTL
        effective.presenceHeartbeatInterval = old.presenceHeartbeatInterval
        effective.receiptWindow = old.receiptWindow
        effective.logFormat = old.logFormat
        effective.logSummaryInterval = old.logSummaryInterval
        let authenticator = try Self.makeAuthenticator(effective, appLink: self.appLink, logger: self.logger)
        // After the last check that can reject the reload: a rejected reload changes nothing.
        self.reloadTLS(old: old, new: new, effective: &effective, applied: &applied, needRestart: &needRestart)
        self.edge.settings = EdgeSettings(effective)
        self.edge.authenticator = authenticator
        self.appLink.settings = AppLinkSettings(effective)
        if applied.contains(.writeCoalesceWindow) {
            self.router.setWriteCoalesceWindow(TimeAmount(effective.writeCoalesceWindow))
        }
        self.logLevel?.level = Logger.Level(rawValue: effective.logLevel.rawValue) ?? .info
        self.live.withLockedValue { $0 = effective }
        self.logger.notice(
            "configuration reloaded",
            metadata: ["wsb.applied": "\(applied.map(\.rawValue).joined(separator: ","))"]
        )
        if !needRestart.isEmpty {
            self.logger.warning(
                "changed settings need a restart to take effect",
                metadata: ["wsb.keys": "\(needRestart.map(\.rawValue).joined(separator: ","))"]
            )
        }
        return (applied, needRestart)
    }

    /// Re-reads `tls_cert` and `tls_key` (also when their paths did not change: a renewed certificate
    /// is a new file at the old path). Files that do not load keep the pair in use, and say why.
    /// Turning TLS on or off changes the listener's scheme: that needs a restart.
    private func reloadTLS(
        old: WSBridgeConfiguration, new: WSBridgeConfiguration, effective: inout WSBridgeConfiguration,
        applied: inout [ConfigKey], needRestart: inout [ConfigKey]
    ) {
        let keys: [ConfigKey] = [.tlsCert, .tlsKey]
        guard (old.tlsCert != nil) == (new.tlsCert != nil) else {
            applied.removeAll { keys.contains($0) }
            needRestart.append(contentsOf: keys.filter { !needRestart.contains($0) })
            effective.tlsCert = old.tlsCert
            effective.tlsKey = old.tlsKey
            return
        }
        guard new.tlsCert != nil else { return }
        do {
            self.edge.tls = try Self.makeTLSContext(new)
            self.logger.notice(
                "TLS certificate and key loaded", metadata: ["wsb.tls_cert": "\(new.tlsCert ?? "")", "wsb.tls_key": "\(new.tlsKey ?? "")"])
        } catch {
            applied.removeAll { keys.contains($0) }
            effective.tlsCert = old.tlsCert
            effective.tlsKey = old.tlsKey
            self.logger.error(
                "TLS certificate not reloaded: new connections keep the certificate loaded before",
                metadata: ["wsb.error": "\(error)"])
        }
    }

    /// READY=1 goes to systemd once, as soon as the daemon listens, whether the broker is linked or not
    /// (wsbridge(8), SYSTEMD, says why): a Redis outage at boot must neither hold up the boot nor get
    /// the daemon killed by a start timeout while it holds its clients. STATUS= says that it waits for
    /// the broker, and `/readyz` stays 503 until it is linked.
    func announceReadyIfDue() {
        guard self.phase.value == .ready else { return }
        let status: String
        if self.broker.isLinked {
            status = "listening, broker linked"
        } else {
            status = "listening; waiting for the broker link to \(self.broker.displayName)"
                + (self.brokerLinkFailure.map { ": \($0)" } ?? "")
        }
        let first = self.readyAnnounced.withLockedValue { announced -> Bool in
            defer { announced = true }
            return !announced
        }
        if first {
            self.notifier.ready(status: status)
        } else {
            self.notifier.status(status)
        }
    }

    /// Why the broker cannot link right now, in words, if it knows.
    var brokerLinkFailure: String? {
        (self.broker as? RedisBroker)?.connectFailure
    }

    func statusLine(_ snapshot: RegistrySnapshot, users: Int) -> String {
        let apps = self.appLink.counters.appsAttached.load(ordering: .relaxed)
        let linked = self.broker.isLinked ? "linked" : "DOWN"
        return "\(snapshot.sessions) sessions, \(users) users, \(apps) apps, broker \(linked)"
    }
}
