import NIOCore
import NIOHTTP1
import WSBridgeCore
import WSBridgeDeflate

/// The HTTP side of one connection on the public listener, from accept until it opens (a WebSocket, an
/// event stream) or is answered and closed, as a state machine that does no I/O. It returns actions;
/// ``HTTPGatewayHandler`` performs them. Which request goes where, and what each refusal answers, is
/// ``route(_:settings:health:)``.
///
/// ```
///  awaiting request ──head──▶ receiving ──end──▶ deciding ──accepted, the user has room──▶ done (opened)
///         │                       │    │            │
///         │                       │    └─ a route that needs no authenticator: its answer ─▶ done (answered)
///         └─ malformed, timeout ──┴─────────────────┴─ refused, failed, timed out, full ───▶ done (answered)
///                                                        drained (the node shuts down)
/// ```
///
/// One request per connection: what follows it (pipelining) is ignored, and the connection closes
/// after the answer. Every answer but an opening ends the connection.
struct HTTPGatewayStateMachine {
    enum State: Equatable {
        case awaitingRequest
        case receiving
        /// The request is complete and an authenticator is deciding.
        case deciding
        case done
    }

    /// What to do.
    enum Action: Equatable {
        case none
        /// Answer (``Response``), then close the connection.
        case respond(Response)
        /// Ask the authenticator who the client is; its verdict goes to
        /// ``authenticated(_:channelActive:userLimit:reserve:)``.
        case authenticate(Authentication)
        /// Answer 101 (or 200 and the stream's head) and hand the channel to the connection. The user's
        /// place under `max_connections_per_user` is taken.
        case open(Opening, connection: ConnectionID, user: String, path: String)
        /// Close without an answer, counting `limit` if any.
        case close(LimitKind?)
        /// The client left while it was being decided about: the authenticator can stop waiting.
        case abandon(ConnectionID)
        /// Answer (``Response``) and close without waiting for the authenticator, which can stop
        /// waiting for this connection.
        case respondAbandoning(Response, ConnectionID)
    }

    /// A plain-text answer; the connection closes once it is written.
    struct Response: Equatable {
        var status: HTTPResponseStatus
        /// One line ending in `\n` (or empty), sent as `text/plain; charset=utf-8`.
        var body: String
        /// Sent after `Content-Type`, `Content-Length` and `Connection: close`, in this order.
        var headers: [Header] = []
        /// False for `HEAD`: the head says the length of a body that is not sent.
        var includeBody = true
        /// How the answer is counted and logged, if at all.
        var note: Note?

        /// The answer as written: the status line, `Content-Type`, `Content-Length`, `Connection: close`,
        /// the other headers, and the body.
        func bytes(allocator: ByteBufferAllocator) -> ByteBuffer {
            let length = self.body.utf8.count
            var buffer = allocator.buffer(capacity: 160 + length)
            buffer.writeString("HTTP/1.1 \(self.status.code) \(self.status.reasonPhrase)\r\n")
            buffer.writeString("Content-Type: text/plain; charset=utf-8\r\nContent-Length: \(length)\r\nConnection: close\r\n")
            for header in self.headers {
                buffer.writeString("\(header.name): \(header.value)\r\n")
            }
            buffer.writeString("\r\n")
            if self.includeBody {
                buffer.writeString(self.body)
            }
            return buffer
        }
    }

    struct Header: Equatable {
        var name: String
        var value: String

        init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// How an answer is counted (in the shard's counters) and logged.
    enum Note: Equatable {
        /// A refused handshake: counted under `kind`, logged at a bounded rate with `reason`.
        case refused(RefusalKind, reason: String)
        /// The authenticator failed with `error`: counted as `internal_error`, logged as an error.
        case authenticatorFailed(String)
        /// A limit was hit: counted.
        case limitHit(LimitKind)
    }

    /// What an accepted request becomes.
    enum Opening: Equatable {
        case webSocket(accept: String, subprotocol: Bool, since: SessionPosition?, deflate: DeflateAgreement?)
        case eventStream(since: SessionPosition?, origin: String?)
    }

    /// A request for the authenticator to decide about: the connection it would be, and where it asked
    /// to go.
    struct Authentication: Equatable {
        var connection: ConnectionID
        var path: String
        var rawQuery: String
        /// The paths whose apps decide (`auth = app`), in order of preference.
        var appPaths: [String]
        var headers: HTTPHeaders
        var opening: Opening
    }

    private(set) var state = State.awaitingRequest
    /// Over `max_connections` when accepted: every request is answered 503.
    private let overCapacity: Bool
    private var head: HTTPRequestHead?
    /// What the authenticator is deciding about.
    private var deciding: Authentication?

    init(overCapacity: Bool) {
        self.overCapacity = overCapacity
    }

    // MARK: The request

    /// The request's head; what comes after the first request is ignored.
    mutating func receivedHead(_ head: HTTPRequestHead) {
        guard self.state == .awaitingRequest else { return }
        self.state = .receiving
        self.head = head
    }

    /// The request is complete: its answer, or a question for the authenticator. `health` is asked only
    /// for `/healthz`; `nextConnection` only when the request needs an authenticator.
    mutating func receivedEnd(
        settings: EdgeSettings, health: () -> String?, nextConnection: () -> ConnectionID
    ) -> Action {
        guard self.state == .receiving, let head = self.head else { return .none }
        self.head = nil
        if self.overCapacity {
            // Counted as a max_connections limit hit when the connection was accepted.
            return self.answer(Response(status: .serviceUnavailable, body: "too many connections\n"))
        }
        switch Self.route(head, settings: settings, health: health) {
        case .answer(let response):
            return self.answer(response)
        case .authenticate(let path, let rawQuery, let appPaths, let opening):
            let authentication = Authentication(
                connection: nextConnection(), path: path, rawQuery: rawQuery, appPaths: appPaths, headers: head.headers,
                opening: opening)
            self.state = .deciding
            self.deciding = authentication
            return .authenticate(authentication)
        }
    }

    /// The request could not be read (`parserError`: ``HTTPRequestHeadParser`` refused it) or the channel
    /// failed: a request that cannot be read is answered 400; anything else closes.
    mutating func failed(parserError: Bool) -> Action {
        guard parserError, self.state == .awaitingRequest || self.state == .receiving else { return .close(nil) }
        return self.answer(Response(status: .badRequest, body: "malformed HTTP request\n"))
    }

    /// The request's head did not end within `limit` bytes (`max_request_head_bytes`): answered 431 and
    /// counted as a limit hit.
    mutating func headTooLarge(limit: Int) -> Action {
        guard self.state == .awaitingRequest || self.state == .receiving else { return .close(nil) }
        return self.answer(
            Response(
                status: .requestHeaderFieldsTooLarge, body: "request head exceeds \(limit) bytes (max_request_head_bytes)\n",
                note: .limitHit(.maxRequestHeadBytes)))
    }

    /// `held` bytes arrived after the request and wait for the connection it may open. A WebSocket
    /// client waits for the 101 before it sends frames (RFC 6455 §4.1); what one sends early is kept
    /// for the connection, up to `limit` (`max_request_head_bytes`: as much as a head may take). Past
    /// it while deciding, the connection is closed without an answer and counted as a limit hit (and a
    /// verdict that comes later is ignored).
    mutating func receivedEarly(held: Int, limit: Int) -> Action {
        guard self.state == .deciding, held > limit else { return .none }
        self.state = .done
        self.deciding = nil
        return .close(.maxRequestHeadBytes)
    }

    // MARK: The decision

    /// The authenticator's verdict. Ignored unless still deciding on a connection still open. An accepted
    /// user takes a place under `userLimit` (`max_connections_per_user`) with `reserve`, or is answered 429.
    mutating func authenticated(
        _ verdict: Result<HandshakeDecision, any Error>, channelActive: Bool, userLimit: Int?, reserve: (String) -> Bool
    ) -> Action {
        guard self.state == .deciding, channelActive, let deciding = self.deciding else { return .none }
        switch verdict {
        case .success(.accept(let user)):
            guard reserve(user) else {
                return self.answer(
                    Response(
                        status: .tooManyRequests,
                        body: "user already holds \(userLimit ?? 0) connections (max_connections_per_user)\n",
                        note: .limitHit(.maxConnectionsPerUser)))
            }
            self.state = .done
            self.deciding = nil
            return .open(deciding.opening, connection: deciding.connection, user: user, path: deciding.path)
        case .success(.reject(let status, let reason, let kind)):
            return self.answer(Self.refusal(HTTPResponseStatus(statusCode: status.code), reason: reason, kind: kind))
        case .failure(let error):
            return self.answer(
                Response(status: .internalServerError, body: "authentication failed\n", note: .authenticatorFailed("\(error)")))
        }
    }

    /// The channel went inactive.
    mutating func channelInactive() -> Action {
        guard self.state == .deciding, let deciding = self.deciding else { return .none }
        self.state = .done
        self.deciding = nil
        return .abandon(deciding.connection)
    }

    /// The node drains (it is shutting down): the connection will not open. One whose request has not
    /// arrived (or not all of it) is closed, with nothing promised to it; one being decided about is
    /// answered 503 at once, counted as `shutting_down`, and the authenticator is told to stop waiting.
    mutating func draining() -> Action {
        switch self.state {
        case .awaitingRequest, .receiving:
            self.state = .done
            self.head = nil
            return .close(nil)
        case .deciding:
            return self.answerAbandoning(Self.refusal(.serviceUnavailable, reason: "server shutting down", kind: .shuttingDown))
        case .done:
            return .none
        }
    }

    /// `handshake_timeout` passed since the connection was accepted. One being decided about is
    /// answered 503, and the authenticator is told to stop waiting.
    mutating func timedOut() -> Action {
        switch self.state {
        case .deciding:
            return self.answerAbandoning(
                Response(status: .serviceUnavailable, body: "handshake timed out\n", note: .limitHit(.handshakeTimeout)))
        case .awaitingRequest, .receiving:
            self.state = .done
            return .close(.handshakeTimeout)
        case .done:
            return .none
        }
    }

    /// Answers a handshake being decided about without its verdict: the authenticator is told to stop
    /// waiting for it.
    private mutating func answerAbandoning(_ response: Response) -> Action {
        guard let deciding = self.deciding else { return .none }
        _ = self.answer(response)
        return .respondAbandoning(response, deciding.connection)
    }

    private mutating func answer(_ response: Response) -> Action {
        self.state = .done
        self.deciding = nil
        return .respond(response)
    }

    /// A refused handshake's answer: `reason` as the body; a 401 asks for a bearer token.
    static func refusal(_ status: HTTPResponseStatus, reason: String, kind: RefusalKind) -> Response {
        Response(
            status: status, body: reason + "\n", headers: status == .unauthorized ? [Header("WWW-Authenticate", "Bearer")] : [],
            note: .refused(kind, reason: reason))
    }
}
