import Logging
import NIOCore
import WSBridgeAppLink
import WSBridgeConfig
import WSBridgeEdge

extension Daemon {
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
        effective.redisCluster = old.redisCluster
        effective.routing = old.routing
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
        let authenticator = Self.makeAuthenticator(try Self.authentication(effective), appLink: self.appLink, logger: self.logger)
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
}
