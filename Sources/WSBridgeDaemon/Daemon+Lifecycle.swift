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

    /// Starts the parts in dependency order, each recorded with the way it stops (``StartedParts``): the
    /// admin listener (`admin_listen`, never socket-activated), the broker link and the node's services,
    /// the heartbeats, then the listeners: on the sockets systemd passed (`activated`), or on `app_socket`
    /// and `listen`. Tells systemd READY=1 and turns `/readyz` to 200 at the end. Returns the WebSocket
    /// listener's address. Call it once.
    ///
    /// A start that fails half-way stops what it had started, last first, before it throws: the app
    /// socket file it created is removed, the listeners are closed, the broker unlinked, the event loops
    /// it made stopped. Nothing is left running, bound or listening.
    @discardableResult
    public func start(activated: ActivatedSockets = ActivatedSockets()) async throws -> SocketAddress? {
        precondition(self.phase.value == .starting, "a daemon starts once")
        do {
            try await self.startAdmin()
            self.startBroker()
            try await self.startClients()
            try await self.startAppSocket(activated: activated)
            let address = try await self.startWebSocketListener(activated: activated)
            self.startReporting()
            return address
        } catch {
            // Stopped first, so the broker link closing is logged as such, not as a link down.
            self.phase.value = .stopped
            await self.parts.stopAll(logger: self.logger)
            throw error
        }
    }

    /// Links the broker and starts the node's services on it (presence, receipts, the stream tracker).
    private func startBroker() {
        let router = self.router
        let source: DeliverySource = self.broker is EmbeddedBroker ? .embedded : .redis
        let logger = self.logger
        let brokerName = self.broker.displayName
        let traffic = self.brokerTraffic
        let presence = self.presence
        let receipts = self.receipts
        let broker = self.broker
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
                },
                usersSubscribed: { users in
                    router.tracker?.usersSubscribed(users)
                }
            )
        )
        presence.start()
        self.parts.started("broker") {
            router.tracker?.stop()
            try? await receipts.stop().get()
            try? await presence.stop().get()
            try? await broker.shutdown().get()
            // No more deliveries come: what waits for a write-coalescing window goes out now.
            _ = try? await router.collect { shard in shard.flush() }.get()
        }
    }

    /// Starts each shard's heartbeat (pings, idle timeouts); what stops it is the drain.
    private func startClients() async throws {
        self.parts.started("clients") { await self.drainClients() }
        let interval = self.edge.settings.heartbeatInterval
        _ = try await self.router.collect { shard in shard.startHeartbeat(interval: interval) }.get()
    }

    /// The app socket: adopted from systemd, or bound at `app_socket`.
    private func startAppSocket(activated: ActivatedSockets) async throws {
        if let descriptor = activated.app {
            try await self.appServer.adopt(descriptor: descriptor)
            self.logger.notice("listening", metadata: ["wsb.listener": "app", "wsb.address": "fd \(descriptor) (socket activation)"])
        } else {
            let path = self.configuration.appSocket
            try await ListenerStartError.naming(.app, address: path) { try await self.appServer.bind(path: path) }
        }
        let appServer = self.appServer
        self.parts.started("app socket") { await appServer.stopAccepting() }
    }

    /// The WebSocket listener: adopted from systemd, or bound at `listen`. Returns its address.
    private func startWebSocketListener(activated: ActivatedSockets) async throws -> SocketAddress? {
        let address: SocketAddress?
        if let descriptor = activated.webSocket {
            address = try await self.server.adopt(descriptor: descriptor).get()
        } else {
            let listen = self.configuration.listen
            address = try await ListenerStartError.naming(.webSocket, address: listen.description) {
                try await self.server.bind(host: listen.host, port: listen.port).get()
            }
        }
        let server = self.server
        self.parts.started("WebSocket listener") { try? await server.stopAccepting().get() }
        self.webSocketAddressBox.withLockedValue { $0 = address }
        self.logger.notice(
            "listening",
            metadata: [
                "wsb.listener": "websocket",
                "wsb.address": "\(address?.hostPort ?? self.configuration.listen.description)",
                "wsb.activated": "\(activated.webSocket != nil)",
                "wsb.path": "\(self.configuration.wsPath)",
                "wsb.scheme": "\(self.configuration.tlsCert == nil ? "ws" : "wss")",
                "wsb.broker": "\(self.broker.displayName)",
                "wsb.auth": "\(self.configuration.auth.rawValue)",
                "wsb.node": "\(self.configuration.nodeID)",
                "wsb.event_loops": .stringConvertible(self.router.eventLoops.count),
            ]
        )
        return address
    }

    /// Ready: READY=1, the systemd watchdog and STATUS= lines, the `log_summary_interval` line.
    private func startReporting() {
        let loop = self.router.eventLoops[0]
        self.phase.value = .ready
        self.announceReadyIfDue()
        self.notifier.startWatchdog(on: loop, logger: self.logger) { true }
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
        self.parts.started("reporting") {
            self.notifier.stopWatchdog()
            self.statusTask.withLockedValue { $0?.cancel(); $0 = nil }
            self.summaryTask.withLockedValue { $0?.cancel(); $0 = nil }
        }
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

    /// Drains and stops: every part stops, the last started first (``StartedParts``). The reporting
    /// stops; the listeners stop accepting (the app socket file is removed); attached apps are told
    /// (`shutdown`); WebSocket clients are closed with 1001 spread over `drain_timeout` (so they do not
    /// all reconnect elsewhere at once) and awaited, at most the window plus `close_timeout`; the broker
    /// is unlinked and what still waits for a write-coalescing window (app sessions) flushed; the admin
    /// listener closes; the event loops the daemon made stop. `/readyz` answers 503 from the first step;
    /// the admin listener closes last but one, so `/metrics` can be scraped during the drain.
    ///
    /// Once only, after ``start()`` returned (or without a start: then only the event loops stop); a
    /// daemon whose start failed has stopped already.
    public func shutdown() async {
        guard self.phase.advance(from: [.starting, .ready], to: .draining) else { return }
        let window = TimeAmount(self.current.drainTimeout)
        self.logger.notice("draining", metadata: ["wsb.drain_ms": .stringConvertible(window.nanoseconds / 1_000_000)])
        self.notifier.stopping(status: "draining")
        await self.parts.stopAll(logger: self.logger)
        self.phase.value = .stopped
        self.logger.notice("stopped")
    }

    /// The clients' part of the drain: no more heartbeats, apps told (`shutdown`), every client closed
    /// over `drain_timeout`; returns once the last has closed, or the window plus `close_timeout` passed.
    private func drainClients() async {
        let configuration = self.current
        let window = TimeAmount(configuration.drainTimeout)
        _ = try? await self.router.collect { shard in shard.stopHeartbeat() }.get()
        self.appLink.announceShutdown(drainMilliseconds: Int(window.nanoseconds / 1_000_000))
        let closed = self.edge.drainConnections(over: window)
        await closed.completion(before: .now() + window + TimeAmount(configuration.closeTimeout))
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
        (self.broker as? any RedisBackedBroker)?.connectFailure
    }

    func statusLine(_ snapshot: RegistrySnapshot, users: Int) -> String {
        let apps = self.appLink.counters.appsAttached.load(ordering: .relaxed)
        let linked = self.broker.isLinked ? "linked" : "DOWN"
        return "\(snapshot.sessions) sessions, \(users) users, \(apps) apps, broker \(linked)"
    }
}
