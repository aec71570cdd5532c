import NIOCore
import WSBridgeCore
import WSBridgeProtocol

/// Routes what WebSocket clients do to the app their connection is pinned to: `message` for each
/// message, `closed` when the connection ends. Connections authenticated without an app (`jwt`,
/// `insecure-query`) are offered to the next app serving their path with a `connect` that already names
/// the user; on a path no app serves, client messages are counted and dropped.
public struct AppClientEventSink: ClientEventSink {
    private let link: AppLinkContext

    public init(link: AppLinkContext) {
        self.link = link
    }

    public func connectionOpened(_ connection: ConnectionHandle) {
        guard let (app, offered) = self.link.directory.opened(connection), offered else { return }
        app.emit(
            .connect(conn: connection.id.description, path: connection.path, query: "", headers: [], remote: "", user: connection.user)
        )
    }

    public func messageReceived(_ connection: ConnectionID, user: String, payload: ByteBuffer, isBinary: Bool) {
        guard let app = self.link.directory.pinnedApp(connection) else {
            self.link.counters.unroutedClientMessages.wrappingIncrement(ordering: .relaxed)
            return
        }
        app.emit(.message(conn: connection.description, user: user, payload: payload, isBinary: isBinary))
    }

    public func connectionClosed(_ connection: ConnectionID, user: String, code: CloseCode?, reason: String) {
        guard let app = self.link.directory.closed(connection) else { return }
        app.emit(.closed(conn: connection.description, user: user, code: code.map { Int($0.rawValue) }, reason: reason))
    }
}
