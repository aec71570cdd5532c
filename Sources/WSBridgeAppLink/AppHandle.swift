import NIOCore
import WSBridgeProtocol

/// What the rest of the daemon knows of one attached app, usable from any thread. Events sent through
/// it hop to the app's event loop.
public struct AppHandle: Sendable {
    public let id: UInt64
    public let name: String
    public let paths: [String]
    /// Attached as a tool (`wsbridge status`, `publish`): not counted or listed as an app.
    public let isTool: Bool
    /// Asked for `online` and `offline` events in `hello`.
    public let presenceEvents: Bool
    public let peer: PeerCredentials?
    let eventLoop: EventLoop
    private let connection: NIOLoopBound<AppConnection>

    init(
        id: UInt64, name: String, paths: [String], isTool: Bool = false, presenceEvents: Bool = false, peer: PeerCredentials?,
        connection: AppConnection, eventLoop: EventLoop
    ) {
        self.id = id
        self.name = name
        self.paths = paths
        self.isTool = isTool
        self.presenceEvents = presenceEvents
        self.peer = peer
        self.eventLoop = eventLoop
        self.connection = NIOLoopBound(connection, eventLoop: eventLoop)
    }

    /// Sends one event to the app (flushed).
    func emit(_ event: AppEvent) {
        self.onLoop { $0.emit(event) }
    }

    /// Tells the app the daemon is draining (`shutdown`), unless it was told already.
    func announceShutdown(drainMilliseconds: Int) {
        self.onLoop { $0.announceShutdown(drainMilliseconds: drainMilliseconds) }
    }

    private func onLoop(_ body: @escaping @Sendable (AppConnection) -> Void) {
        let connection = self.connection
        if self.eventLoop.inEventLoop {
            body(connection.value)
        } else {
            self.eventLoop.execute { body(connection.value) }
        }
    }
}
