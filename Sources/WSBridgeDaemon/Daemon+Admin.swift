import NIOCore
import WSBridgeAdmin

extension Daemon {
    /// `/healthz`: passes while the broker link is up and its liveness probe comes back (the same answer
    /// as `/healthz` on the public port).
    func healthProbe() -> ProbeResult {
        if let reason = self.broker.unhealthyReason {
            return .fail(reason)
        }
        return .pass("ok")
    }

    /// `/readyz`: passes while the WebSocket listener is up (not starting, not draining) and the broker
    /// is linked; the failure says which, and why the broker cannot link when it knows.
    func readinessProbe() -> ProbeResult {
        let phase = self.phase.value
        guard phase == .ready else { return .fail(phase.rawValue) }
        guard self.broker.isLinked else {
            return .fail("broker link down" + (self.brokerLinkFailure.map { ": \($0)" } ?? ""))
        }
        return .pass("ready")
    }

    /// The admin listener's bound address once started (port 0 resolved), or `nil`.
    public var adminAddress: SocketAddress? { self.adminAddressBox.withLockedValue { $0 } }

    /// Where the daemon is in its life (the answer of `/readyz`).
    public var currentPhase: DaemonPhase { self.phase.value }

    /// Binds the admin listener if `admin_listen` is set, and logs where it listens (`wsb.listener=admin`).
    /// A bind failure stops the start-up like any other listener's. It stops after every other part but
    /// the event loops, so `/metrics` can be scraped during the drain.
    @discardableResult
    func startAdmin() async throws -> SocketAddress? {
        guard let admin = self.admin, let listen = self.configuration.adminListen else {
            self.logger.info("admin listener off (admin_listen = off): no /metrics, /healthz or /readyz")
            return nil
        }
        let address = try await ListenerStartError.naming(.admin, address: listen.description) {
            try await admin.bind(host: listen.host, port: listen.port)
        }
        self.parts.started("admin listener") { await admin.stop() }
        self.adminAddressBox.withLockedValue { $0 = address }
        self.logger.notice(
            "listening",
            metadata: [
                "wsb.listener": "admin",
                "wsb.address": "\(address?.hostPort ?? listen.description)",
                "wsb.paths": "/metrics,/healthz,/readyz",
            ]
        )
        return address
    }
}
