import NIOCore
import WSBridgeCore

/// A handle on one upgraded WebSocket connection that may be used from any thread: apps send to it and
/// close it. Every action hops to the connection's event loop.
public struct ConnectionHandle: Sendable {
    public let id: ConnectionID
    public let user: String
    public let path: String
    public let eventLoop: EventLoop
    private let connection: NIOLoopBound<WebSocketConnection>

    init(_ connection: WebSocketConnection, eventLoop: EventLoop) {
        self.id = connection.id
        self.user = connection.user
        self.path = connection.path
        self.eventLoop = eventLoop
        self.connection = NIOLoopBound(connection, eventLoop: eventLoop)
    }

    /// Sends one message to this client alone.
    public func send(_ payload: ByteBuffer, isBinary: Bool) {
        let connection = self.connection
        self.eventLoop.execute {
            connection.value.send(payload, isBinary: isBinary)
        }
    }

    /// Starts the close handshake with `code`.
    public func close(_ code: CloseCode, reason: String) {
        let connection = self.connection
        self.eventLoop.execute {
            connection.value.close(code, reason: reason)
        }
    }
}
