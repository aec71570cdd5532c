#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import WSBridgeAdmin
import WSBridgeProtocol

extension Daemon {
    /// What the daemon holds right now (`wsbridge status`, the app protocol's `status`). The counters
    /// are the ones `/metrics` shows, read from the same ``MetricsSnapshot``.
    public func statusReport() -> EventLoopFuture<DaemonStatus> {
        self.metricsSnapshot().map { snapshot in
            self.status(from: snapshot)
        }
    }

    /// ``statusReport()`` as one JSON object: compact, members in sorted order, slashes as they are.
    public func status() -> EventLoopFuture<ByteBuffer> {
        self.statusReport().flatMapThrowing { status in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return ByteBuffer(bytes: try encoder.encode(status))
        }
    }

    private func status(from s: MetricsSnapshot) -> DaemonStatus {
        let uptime = (NIODeadline.now() - self.startedAt).nanoseconds / 1_000_000_000
        let webSocket = self.webSocketAddressBox.withLockedValue { $0 }
        var limits = s.limitHits
        limits["app_slow_consumer"] = s.appSlowConsumerDisconnects
        var counters = [
            "upgrades": s.connects,
            "auth_refusals": s.authRefusals.values.reduce(0, +),
            "client_messages": s.clientMessages,
            "invalid_channel_messages": s.invalidChannelMessages,
            "flushes": s.flushes,
            "broker_messages_in": s.brokerMessagesIn,
            "broker_messages_out": s.brokerMessagesOut,
            "app_attaches": s.appAttaches,
            "app_frames_in": s.appFramesIn,
            "app_frames_out": s.appFramesOut,
        ]
        for (source, count) in s.deliveries {
            counters["deliveries_\(source)"] = count
        }
        return DaemonStatus(
            node: s.node,
            version: s.version,
            uptimeSeconds: Int(uptime),
            phase: self.phase.value.rawValue,
            auth: self.configuration.auth.rawValue,
            listen: DaemonStatus.Listen(
                websocket: webSocket?.hostPort ?? self.configuration.listen.description,
                path: self.configuration.wsPath,
                scheme: self.current.tlsCert == nil ? "ws" : "wss",
                admin: self.adminAddress?.hostPort,
                appSocket: self.configuration.appSocket),
            broker: DaemonStatus.Broker(
                kind: s.brokerKind, target: self.broker.displayName, linked: s.brokerUp, reconnects: s.brokerReconnects,
                durable: s.brokerDurable, probeMisses: s.brokerProbeMisses),
            history: DaemonStatus.History(
                streamsTracked: s.streamsTracked, catchups: s.historyCatchUps, recoveredMessages: s.historyRecoveredMessages,
                recoveries: s.historyRecoveries, gaps: s.historyGaps.values.reduce(0, +), sessionGaps: s.historySessionGaps),
            connections: DaemonStatus.Connections(
                websocket: s.openWebSockets, sse: s.openEventStreams, tcp: s.openTCPConnections, sessions: s.sessions),
            users: s.users,
            apps: self.appLink.attachedApps.map { entry in
                DaemonStatus.App(
                    name: entry.app.name, pid: Int(entry.app.peer?.pid ?? -1), uid: Int(entry.app.peer?.uid ?? UInt32.max),
                    paths: entry.app.paths, connections: entry.connections)
            },
            limitsHit: limits,
            counters: counters)
    }
}
