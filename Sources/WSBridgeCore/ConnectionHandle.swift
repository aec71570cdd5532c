import NIOCore

/// What an app may do to one client connection, whatever carries it (a WebSocket, a server-sent-events
/// stream). Confined to the connection's event loop.
public protocol ClientConnection: AnyObject {
    /// Sends one message to this client alone, flushed at once.
    func send(_ payload: ByteBuffer, isBinary: Bool)
    /// Ends the connection, telling the client `code` and `reason` where its transport can.
    func close(_ code: CloseCode, reason: String)
}

/// A handle on one open client connection that may be used from any thread: apps send to it and
/// close it. Every action hops to the connection's event loop.
public struct ConnectionHandle: Sendable {
    public let id: ConnectionID
    public let user: String
    /// The path the client connected to.
    public let path: String
    /// The paths whose apps the connection belongs to, in order of preference: its own path, then, for
    /// a server-sent-events stream, the WebSocket path (apps serving `/ws` serve its fallback too).
    public let appPaths: [String]
    public let eventLoop: EventLoop
    private let connection: NIOLoopBound<any ClientConnection>

    public init(_ connection: any ClientConnection, id: ConnectionID, user: String, path: String, appPaths: [String], eventLoop: EventLoop) {
        self.id = id
        self.user = user
        self.path = path
        self.appPaths = appPaths
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

    /// Ends the connection with `code`: a WebSocket starts its close handshake, an event stream gets a
    /// `close` event and ends.
    public func close(_ code: CloseCode, reason: String) {
        let connection = self.connection
        self.eventLoop.execute {
            connection.value.close(code, reason: reason)
        }
    }
}
