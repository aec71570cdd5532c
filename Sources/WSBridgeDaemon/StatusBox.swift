import NIOConcurrencyHelpers
import NIOCore
import WSBridgeAdmin

/// Lets parts built before the daemon (the app link, the admin listener) ask it things later. It holds
/// the daemon weakly: the daemon holds those parts, so a strong reference back would keep every
/// daemon alive for good. Without a daemon (not set yet, or gone) the answers are empty, made on the
/// daemon's own event loop.
final class StatusBox: Sendable {
    private struct Reference: Sendable {
        weak var daemon: Daemon?
    }

    private let box = NIOLockedValueBox(Reference())
    private let eventLoop: EventLoop

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    var daemon: Daemon? {
        get { self.box.withLockedValue { $0.daemon } }
        set { self.box.withLockedValue { $0.daemon = newValue } }
    }

    func render() -> EventLoopFuture<ByteBuffer> {
        guard let daemon = self.daemon else {
            return self.eventLoop.makeSucceededFuture(ByteBuffer(string: "{}"))
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
                    return self.eventLoop.makeSucceededFuture(ByteBuffer())
                }
                return daemon.renderMetrics()
            }
        )
    }
}
