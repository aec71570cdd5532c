import NIOCore

/// What an authenticator sees of a client's request to connect (a WebSocket handshake, a
/// server-sent-events request).
public struct HandshakeRequest: Sendable {
    /// The id the connection will have once open (apps see it in `connect`).
    public var connection: ConnectionID
    public var path: String
    /// The paths whose apps decide (`auth = app`), in order of preference: `path`, then, for a
    /// server-sent-events stream, the WebSocket path.
    public var appPaths: [String]
    /// Decoded query parameters, in order; a name may repeat.
    public var query: [(name: String, value: String)]
    /// The raw query string (after `?`), as sent.
    public var rawQuery: String
    public var headers: HeaderFields
    public var remoteAddress: SocketAddress?
    /// The client's IP from `X-Forwarded-For` when the TCP peer is a trusted proxy, else nil.
    public var forwardedClient: String?

    /// The client's address as apps and logs show it: the forwarded client (an IP without port),
    /// else the peer's `ip:port`.
    public var clientAddress: String { self.forwardedClient ?? self.remoteAddress?.hostPort ?? "" }

    public func queryValue(_ name: String) -> String? {
        self.query.first(where: { $0.name == name })?.value
    }

    public init(
        connection: ConnectionID, path: String, rawQuery: String, headers: HeaderFields, remoteAddress: SocketAddress?,
        forwardedClient: String? = nil, appPaths: [String]? = nil
    ) {
        self.connection = connection
        self.path = path
        self.appPaths = appPaths ?? [path]
        self.rawQuery = rawQuery
        self.query = QueryString.parse(rawQuery)
        self.headers = headers
        self.remoteAddress = remoteAddress
        self.forwardedClient = forwardedClient
    }
}

/// The HTTP status a refused request is answered with. A plain code: the modules that decide (the
/// app link, the auth modes) need no HTTP library.
public struct HandshakeStatus: Sendable, Hashable, CustomStringConvertible {
    public let code: Int

    public init(code: Int) {
        self.code = code
    }

    public static let badRequest = HandshakeStatus(code: 400)
    public static let unauthorized = HandshakeStatus(code: 401)
    public static let forbidden = HandshakeStatus(code: 403)
    public static let tooManyRequests = HandshakeStatus(code: 429)
    public static let internalServerError = HandshakeStatus(code: 500)
    public static let serviceUnavailable = HandshakeStatus(code: 503)

    public var description: String { String(self.code) }
}

/// The verdict on a request to connect, given before the connection opens.
public enum HandshakeDecision: Sendable, Equatable {
    /// Open the connection; it belongs to `user`.
    case accept(user: String)
    /// Answer with a real HTTP status (401, 403, 503...) and a short human-readable reason, and close.
    /// `kind` is the bounded label the refusal is counted and logged under.
    case reject(status: HandshakeStatus, reason: String, kind: RefusalKind)
}

/// Decides who a connection belongs to. One implementation per `auth` mode: `insecure-query`, `jwt`,
/// and `app` (attached apps decide).
public protocol HandshakeAuthenticator: Sendable {
    /// The mode name for logs (`jwt`, `insecure-query`, `app`).
    var mode: String { get }
    /// Called on the connection's event loop; the future may complete later (an app answering).
    func authenticate(_ request: HandshakeRequest, on eventLoop: EventLoop) -> EventLoopFuture<HandshakeDecision>
    /// The client went away before the decision arrived.
    func abandoned(_ connection: ConnectionID)
}

extension HandshakeAuthenticator {
    public func abandoned(_ connection: ConnectionID) {}
}
