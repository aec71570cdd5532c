import NIOCore
import NIOHTTP1
import WSBridgeCore

/// What an authenticator sees of an upgrade request.
public struct HandshakeRequest: Sendable {
    /// The id the connection will have once upgraded (apps see it in `connect`).
    public var connection: ConnectionID
    public var path: String
    /// The paths whose apps decide (`auth = app`), in order of preference: `path`, then, for a
    /// server-sent-events stream, the WebSocket path.
    public var appPaths: [String]
    /// Decoded query parameters, in order; a name may repeat.
    public var query: [(name: String, value: String)]
    /// The raw query string (after `?`), as sent.
    public var rawQuery: String
    public var headers: HTTPHeaders
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
        connection: ConnectionID, path: String, rawQuery: String, headers: HTTPHeaders, remoteAddress: SocketAddress?,
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

/// The verdict on an upgrade request, given before the upgrade completes.
public enum HandshakeDecision: Sendable, Equatable {
    /// Upgrade; the connection belongs to `user`.
    case accept(user: String)
    /// Answer with a real HTTP status (401, 403, 503...) and a short human-readable reason, and close.
    /// `kind` is the bounded label the refusal is counted and logged under.
    case reject(status: HTTPResponseStatus, reason: String, kind: RefusalKind)
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

/// `insecure-query`: trusts `?user=ID`. For local development and benchmarks only.
public struct InsecureQueryAuthenticator: HandshakeAuthenticator {
    public let maxUserIDBytes: Int
    public init(maxUserIDBytes: Int = 256) { self.maxUserIDBytes = maxUserIDBytes }

    public var mode: String { "insecure-query" }

    public func authenticate(_ request: HandshakeRequest, on eventLoop: EventLoop) -> EventLoopFuture<HandshakeDecision> {
        eventLoop.makeSucceededFuture(self.decide(request))
    }

    func decide(_ request: HandshakeRequest) -> HandshakeDecision {
        guard let user = request.queryValue("user"), !user.isEmpty else {
            return .reject(status: .unauthorized, reason: "missing ?user= (auth mode insecure-query)", kind: .missingCredentials)
        }
        guard user.utf8.count <= self.maxUserIDBytes else {
            return .reject(status: .forbidden, reason: "user id longer than \(self.maxUserIDBytes) bytes", kind: .invalidUser)
        }
        return .accept(user: user)
    }
}

/// Refuses every connection with a fixed status: used for `auth = app` while no app serves the path.
public struct RefusingAuthenticator: HandshakeAuthenticator {
    public let status: HTTPResponseStatus
    public let reason: String
    public let kind: RefusalKind
    public let mode: String
    public init(mode: String, status: HTTPResponseStatus, reason: String, kind: RefusalKind = .noApp) {
        self.mode = mode
        self.status = status
        self.reason = reason
        self.kind = kind
    }
    public func authenticate(_ request: HandshakeRequest, on eventLoop: EventLoop) -> EventLoopFuture<HandshakeDecision> {
        eventLoop.makeSucceededFuture(.reject(status: self.status, reason: self.reason, kind: self.kind))
    }
}
