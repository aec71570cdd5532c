import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WSBridgeAdmin

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
