/// One request from an app to wsbridge, as ``AppRequestParser`` reads it off one frame.
///
/// Every case carries the request's `id` (nil when the request had none), which the reply echoes.
/// The parser checks each field's type and range; what needs the daemon's state (is the connection
/// known, is `hello` first, is the protocol version supported) is left to the daemon.
public enum AppRequest: Sendable, Equatable {
    /// `hello`: must be the first request. `paths` are the WebSocket paths the app serves (each
    /// starting with `/`; duplicates dropped, order kept); empty for a publish-only app. `tool`: a
    /// short-lived client such as `wsbridge status` or `publish` (no paths), not counted as an app.
    /// `presenceEvents`: the app wants `online` and `offline` events.
    case hello(
        id: RequestID?, protocolVersion: Int, name: String, paths: [String], tool: Bool = false, presenceEvents: Bool = false)
    /// `accept`: the connection awaiting a decision belongs to `user`.
    case accept(id: RequestID?, conn: String, user: String)
    /// `reject`: refuse the connection with HTTP `status` (400–599, default 403) and `reason`
    /// (empty when absent).
    case reject(id: RequestID?, conn: String, status: Int, reason: String)
    /// `register`: deliveries for `user` also reach this app, as `deliver` events tagged `session`.
    /// `since` (optional) is the `pos` of the last `deliver` the app got for an earlier session of this
    /// user: what it missed since comes first. Checked by the daemon, which knows positions.
    case register(id: RequestID?, session: String, user: String, since: String? = nil)
    /// `unregister`: stop the deliveries of a registered session.
    case unregister(id: RequestID?, session: String)
    /// `publish`: send `data` to `target` on every host, through the broker. With `receipt`, the `ok`
    /// comes once the hosts holding the target's users reported what it reached (or the receipt
    /// window ended), and carries that.
    case publish(id: RequestID?, target: AppTarget, data: AppData, receipt: Bool = false)
    /// `send`: send `data` to one local connection.
    case send(id: RequestID?, conn: String, data: AppData)
    /// `close`: close one local connection with WebSocket `code` (1000 or 3000–4999, default 1000)
    /// and `reason` (empty when absent).
    case close(id: RequestID?, conn: String, code: Int, reason: String)
    /// `ping`: answered with `pong`.
    case ping(id: RequestID?)
    /// `status`: answered with a `status` event describing what the daemon holds (for operators' tools;
    /// see `docs/operations.md`).
    case status(id: RequestID?)
    /// `presence`: answered with a `presence` event: per user, the sessions and hosts that hold it.
    case presence(id: RequestID?, users: [String])

    /// The request's `id`, echoed in its reply.
    public var id: RequestID? {
        switch self {
        case .hello(let id, _, _, _, _, _), .accept(let id, _, _), .reject(let id, _, _, _), .register(let id, _, _, _),
            .unregister(let id, _), .publish(let id, _, _, _), .send(let id, _, _), .close(let id, _, _, _),
            .ping(let id), .status(let id), .presence(let id, _):
            return id
        }
    }

    /// The request's wire `type`, for logs and metrics.
    public var type: String {
        switch self {
        case .hello: return "hello"
        case .accept: return "accept"
        case .reject: return "reject"
        case .register: return "register"
        case .unregister: return "unregister"
        case .publish: return "publish"
        case .send: return "send"
        case .close: return "close"
        case .ping: return "ping"
        case .status: return "status"
        case .presence: return "presence"
        }
    }
}
