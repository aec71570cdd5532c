import NIOCore

/// One event from wsbridge to an app; ``AppEventEncoder`` writes it as a JSON object.
public enum AppEvent: Sendable {
    /// The answer to `hello` (echoing its `id`): the protocol spoken (always ``AppProtocol/version``),
    /// the node's id, the daemon's version and the limits the app must respect.
    case welcome(id: RequestID?, node: String, version: String, limits: AppLimits)
    /// A WebSocket client asks to connect on a path this app serves; answer with `accept` or `reject`
    /// within `connect_timeout`.
    ///
    /// - `query`: the raw query string, without the `?` (empty when none).
    /// - `headers`: the request's header fields in order; the encoder lower-cases the names and joins
    ///   the values of repeated names with `", "` (RFC 9110 §5.3). `HTTPHeaders` iterates as this type.
    /// - `remote`: the client's address, `ip:port` (`[ipv6]:port` for IPv6).
    /// - `user`: set when the daemon authenticated the client itself (auth `jwt` or `insecure-query`);
    ///   such a connect is already accepted and needs no answer.
    case connect(
        conn: String,
        path: String,
        query: String,
        headers: [(name: String, value: String)],
        remote: String,
        user: String?
    )
    /// A client sent a message: `payload` is valid UTF-8 text, or bytes when `isBinary`.
    case message(conn: String, user: String, payload: ByteBuffer, isBinary: Bool)
    /// A connection this app accepted has closed: the last event for that `conn`. `code` is the
    /// WebSocket close code, nil when the connection ended without a close frame.
    case closed(conn: String, user: String, code: Int?, reason: String)
    /// A message published for `user` reached the session this app registered as `session`. `pos` is
    /// the session's position after it (`USERPOS.ALLPOS`), nil for a message published best effort:
    /// the last one seen is what `register`'s `since` takes to resume.
    case deliver(session: String, user: String, payload: ByteBuffer, isBinary: Bool, pos: String? = nil)
    /// The request with `id` succeeded. `pos`: a `register`'s session position once its recovery is
    /// done; `positions`: where a durable `publish` landed (`EPOCH-OFFSET` per stream, comma-separated).
    /// `receipt`: what a `publish` with `"receipt": true` reached.
    case ok(id: RequestID?, pos: String? = nil, positions: String? = nil, receipt: AppReceipt? = nil)
    /// Messages that can no longer be delivered (see docs/reliability.md): for a registered `session`
    /// (with its `pos` after the gap), or, without `session`, what this node found for `user`'s stream
    /// or `all` after its subscription was lost.
    case gap(AppGap)
    /// The request with `id` failed (or, with no id, a frame that could not be read as a request).
    case error(id: RequestID?, code: AppProtocolError.Code, message: String)
    /// The answer to `ping`.
    case pong(id: RequestID?)
    /// The daemon is draining: it stops within `drainMilliseconds`, then closes the app socket.
    case shutdown(drainMilliseconds: Int)
    /// The answer to `status`: `body` is the raw text of one JSON object describing what the daemon
    /// holds, written as it stands. Its members are for operators' tools (`docs/operations.md`) and
    /// not part of the protocol's compatibility promise.
    case status(id: RequestID?, body: ByteBuffer)
    /// The answer to `presence`: each user asked, in order, with its sessions and hosts.
    case presence(id: RequestID?, users: [AppPresence])
    /// `online` or `offline`, to apps that asked for them in `hello`.
    case presenceChanged(AppPresenceEvent)

    /// The `error` event for `error`.
    public static func failure(_ error: AppProtocolError) -> AppEvent {
        .error(id: error.id, code: error.code, message: error.message)
    }

    /// The event's wire `type`, for logs and metrics.
    public var type: String {
        switch self {
        case .welcome: return "welcome"
        case .connect: return "connect"
        case .message: return "message"
        case .closed: return "closed"
        case .deliver: return "deliver"
        case .gap: return "gap"
        case .ok: return "ok"
        case .error: return "error"
        case .pong: return "pong"
        case .shutdown: return "shutdown"
        case .status: return "status"
        case .presence: return "presence"
        case .presenceChanged(let event): return event.online ? "online" : "offline"
        }
    }
}
