import NIOCore
import WSBridgeProtocol

/// What the fake daemon answers, as a pure function of the request: the script the client tests rely on.
///
/// - `hello` from an app named ``refusedName`` gets `unsupported_protocol`; from ``silentName``, no
///   answer at all; from ``greeterName``, `welcome` followed by ``greeting``; otherwise `welcome`.
/// - `accept` of ``goneConn`` gets `not_pending`.
/// - `send` to ``hangingConn`` is never answered.
/// - `publish` to ``laterUser`` is answered only after the reply to the next request (out of order).
/// - `status` gets ``statusBody``; `ping` gets `pong`; anything else gets `ok`.
enum FakeDaemonScript {
    static let refusedName = "refused"
    static let silentName = "silent"
    static let greeterName = "greeter"
    static let goneConn = "c-gone"
    static let hangingConn = "c-hang"
    static let laterUser = "later"

    static let limits = AppLimits(maxFrameBytes: 65_536, maxQueueBytes: 1 << 20, connectTimeoutMilliseconds: 2_500)
    static let node = "fake-1"
    static let version = "9.9.9"
    static let statusBody = #"{"connections":3,"users":2,"apps":[{"name":"chat"}],"broker":{"kind":"embedded"}}"#

    /// The `connect` pushed to a greeter right after its `welcome`.
    static let greeting = AppEvent.connect(
        conn: "c1", path: "/ws", query: "room=42",
        headers: [(name: "host", value: "example.com")],
        remote: "192.0.2.1:40000", user: nil
    )

    /// How the fake daemon answers one request.
    enum Answer {
        /// Write these events now.
        case reply([AppEvent])
        /// Write this event after the reply to the next request.
        case later(AppEvent)
        /// Never answer.
        case none
    }

    static func answer(_ request: AppRequest) -> Answer {
        switch request {
        case .hello(let id, _, let name, _, _, _):
            switch name {
            case refusedName:
                return .reply([.failure(.unsupportedProtocol(id: id, version: 1))])
            case silentName:
                return .none
            case greeterName:
                return .reply([.welcome(id: id, node: node, version: version, limits: limits), greeting])
            default:
                return .reply([.welcome(id: id, node: node, version: version, limits: limits)])
            }
        case .accept(let id, let conn, _) where conn == goneConn:
            return .reply([.failure(.notPending(id: id, conn: conn))])
        case .send(_, let conn, _) where conn == hangingConn:
            return .none
        case .publish(let id, .user(laterUser), _, _):
            return .later(.ok(id: id))
        case .status(let id):
            return .reply([.status(id: id, body: ByteBuffer(string: statusBody))])
        case .ping(let id):
            return .reply([.pong(id: id)])
        default:
            return .reply([.ok(id: request.id)])
        }
    }
}
