import NIOCore

/// Where the edge reports what its clients do (WebSocket connections, server-sent-events streams). The app link (attached apps) implements it; with no
/// app, messages from clients are counted and dropped.
///
/// Every call happens on the connection's event loop.
public protocol ClientEventSink: Sendable {
    /// A client finished the handshake and now holds a session for its user; the handle lets apps act on it.
    func connectionOpened(_ connection: ConnectionHandle)
    /// A complete message from a client (fragments reassembled, text validated as UTF-8).
    func messageReceived(_ connection: ConnectionID, user: String, payload: ByteBuffer, isBinary: Bool)
    /// The connection ended; `code` is the close code sent or received, nil when the TCP connection just dropped.
    func connectionClosed(_ connection: ConnectionID, user: String, code: CloseCode?, reason: String)
}

/// The sink used when no app can receive client messages: drops them.
public struct DiscardingClientEventSink: ClientEventSink {
    public init() {}
    public func connectionOpened(_ connection: ConnectionHandle) {}
    public func messageReceived(_ connection: ConnectionID, user: String, payload: ByteBuffer, isBinary: Bool) {}
    public func connectionClosed(_ connection: ConnectionID, user: String, code: CloseCode?, reason: String) {}
}
