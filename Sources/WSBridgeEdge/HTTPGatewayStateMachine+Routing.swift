import NIOCore
import NIOHTTP1
import WSBridgeCore
import WSBridgeDeflate

/// Where a request goes, as a pure function of the request and the settings:
///
/// | path | method | checks, in order | then |
/// |---|---|---|---|
/// | `ws_path` | `GET` (else 405) | WebSocket headers (426, 400), origin (403), `since` with `wsbridge.v1` (400) | authenticator, 101 |
/// | `sse_path` | `OPTIONS`: CORS preflight, 200; `GET` (else 405) | `Accept` (406), origin (403), `Last-Event-ID` or `since` (400) | authenticator, 200 and a stream |
/// | `/healthz` | `GET`, `HEAD` (else 405) | the broker link | 200 or 503 |
/// | anything else | | | 404 |
extension HTTPGatewayStateMachine {
    /// A request's route: an answer now, or a question for the authenticator.
    enum Route: Equatable {
        case answer(Response)
        case authenticate(path: String, rawQuery: String, appPaths: [String], opening: Opening)
    }

    static func route(_ head: HTTPRequestHead, settings: EdgeSettings, health: () -> String?) -> Route {
        let (path, rawQuery) = QueryString.split(uri: head.uri)
        switch path {
        case settings.path:
            return Self.webSocketRoute(head, path: path, rawQuery: rawQuery, settings: settings)
        case settings.eventStreamPath:
            return Self.eventStreamRoute(head, path: path, rawQuery: rawQuery, settings: settings)
        case "/healthz":
            guard head.method == .GET || head.method == .HEAD else {
                return .answer(Response(status: .methodNotAllowed, body: "use GET\n", headers: [Header("Allow", "GET, HEAD")]))
            }
            let includeBody = head.method == .GET
            if let reason = health() {
                return .answer(Response(status: .serviceUnavailable, body: reason + "\n", includeBody: includeBody))
            }
            return .answer(Response(status: .ok, body: "ok\n", includeBody: includeBody))
        default:
            return .answer(Response(status: .notFound, body: "not found\n"))
        }
    }

    /// The opening handshake (RFC 6455 §4.2.1), the origin, and `since` for a `wsbridge.v1` client.
    private static func webSocketRoute(_ head: HTTPRequestHead, path: String, rawQuery: String, settings: EdgeSettings) -> Route {
        guard head.method == .GET else {
            return .answer(Response(status: .methodNotAllowed, body: "WebSocket handshakes use GET\n", headers: [Header("Allow", "GET")]))
        }
        let accept: String
        switch WebSocketHandshake.acceptValue(for: head.headers) {
        case .success(let value):
            accept = value
        case .failure(.notAnUpgrade):
            return .answer(
                Response(
                    status: .upgradeRequired, body: "this path speaks WebSocket only\n",
                    headers: [Header("Upgrade", "websocket"), Header("Sec-WebSocket-Version", "13")]))
        case .failure(.unsupportedVersion):
            return .answer(
                Response(status: .upgradeRequired, body: "unsupported WebSocket version\n", headers: [Header("Sec-WebSocket-Version", "13")]))
        case .failure(.badKey):
            return .answer(Response(status: .badRequest, body: "missing or malformed Sec-WebSocket-Key\n"))
        }
        if let refusal = Self.originRefusal(head, settings: settings) {
            return .answer(refusal)
        }
        let subprotocol = SubprotocolFrame.isOffered(head.headers[canonicalForm: "sec-websocket-protocol"].map(String.init))
        var since: SessionPosition?
        if subprotocol, let text = QueryString.parse(rawQuery).first(where: { $0.name == "since" })?.value, !text.isEmpty {
            guard let position = SessionPosition(text) else { return .answer(Self.badPosition(text)) }
            since = position
        }
        // Offers are read from the raw header lines: a quoted parameter value may hold a comma.
        let deflate = settings.permessageDeflate ? DeflateAgreement.negotiate(head.headers["sec-websocket-extensions"]) : nil
        return .authenticate(
            path: path, rawQuery: rawQuery, appPaths: [path],
            opening: .webSocket(accept: accept, subprotocol: subprotocol, since: since, deflate: deflate))
    }

    /// The server-sent-events fallback: `GET` with `Accept: text/event-stream`; the same origin check and
    /// authenticator as a WebSocket (apps see `connect` with this path; with no app serving it, the apps
    /// of the WebSocket path decide), then a stream instead of an upgrade. `OPTIONS` answers a CORS
    /// preflight.
    private static func eventStreamRoute(_ head: HTTPRequestHead, path: String, rawQuery: String, settings: EdgeSettings) -> Route {
        let origin = head.headers.first(name: "origin")
        if head.method == .OPTIONS {
            let allowed = settings.origins.allows(origin)
            let headers = EventStreamHandshake.preflightHeaders(origin: allowed ? origin : nil).map { Header($0.0, $0.1) }
            return .answer(Response(status: .ok, body: "", headers: headers))
        }
        guard head.method == .GET else {
            return .answer(
                Response(status: .methodNotAllowed, body: "event streams use GET\n", headers: [Header("Allow", "GET, OPTIONS")]))
        }
        guard EventStreamHandshake.accepts(head.headers) else {
            let type = EventStreamHandshake.mediaType
            return .answer(Response(status: .notAcceptable, body: "this path serves \(type) only: send Accept: \(type)\n"))
        }
        if let refusal = Self.originRefusal(head, settings: settings) {
            return .answer(refusal)
        }
        let since: SessionPosition?
        switch EventStreamHandshake.since(headers: head.headers, query: QueryString.parse(rawQuery)) {
        case .success(let position):
            since = position
        case .failure(let bad):
            return .answer(Self.badPosition(bad.text))
        }
        return .authenticate(
            path: path, rawQuery: rawQuery, appPaths: path == settings.path ? [path] : [path, settings.path],
            opening: .eventStream(since: since, origin: origin))
    }

    /// 403 unless `allowed_origins` allows the request's `Origin`.
    private static func originRefusal(_ head: HTTPRequestHead, settings: EdgeSettings) -> Response? {
        guard settings.origins.allows(head.headers.first(name: "origin")) else {
            return Self.refusal(.forbidden, reason: "origin not allowed", kind: .origin)
        }
        return nil
    }

    private static func badPosition(_ text: String) -> Response {
        Response(
            status: .badRequest, body: "since: expected the pos of a wsbridge.v1 message (USERPOS.ALLPOS), got \"\(text.prefix(100))\"\n")
    }
}
