import NIOCore
import NIOWebSocket
import WSBridgeCore
import WSBridgeDeflate
import WSBridgeJSON

/// The life of one WebSocket connection (RFC 6455) as a state machine that does no I/O: what each
/// client frame means, the close handshake from either side, pings and the idle timeout, the message
/// rate. It returns actions; ``WebSocketConnection`` performs them. Time is passed in.
///
/// ```
///  open ──close(code) / fail / idle / rate──▶ closing ──client's close frame, or the timeout──▶ closed
///    │                                          ▲                                              ▲
///    └──client's close frame: echo it ──────────┘ (the server closes the TCP connection) ──────┘
///    └──the socket went away ─────────────────────────────────────────────────────────────────┘
/// ```
///
/// "Failing" the connection (RFC 6455 §7.1.7: a frame that breaks the protocol or a limit) also stops
/// reading: nothing the client sends afterwards is processed, not even a close frame.
struct WebSocketStateMachine {
    enum State: Equatable {
        case open
        /// A close frame was sent (or the client's echoed); the socket closes when the client answers,
        /// or after `close_timeout`.
        case closing
        case closed
    }

    /// What to do with a client frame, or after a failure.
    enum Action: Equatable {
        case none
        /// Hand a complete message to the apps.
        case deliver(ByteBuffer, isBinary: Bool)
        /// Answer a ping.
        case sendPong(ByteBuffer)
        /// Send a close frame with `code` (count `limit` if any) and wait for the client's, at most
        /// `close_timeout`; with `shutOutput`, shut the server's side once it is written (the client's
        /// bytes can no longer be read).
        case sendClose(CloseCode, reason: String, limit: LimitKind?, shutOutput: Bool)
        /// The client started the close handshake: echo its code (nil: a close frame without one), then
        /// close the TCP connection (the server closes first).
        case echoClose(CloseCode?)
        /// The client answered our close frame: close the TCP connection.
        case closeChannel
    }

    /// What a heartbeat calls for.
    enum Heartbeat: Equatable {
        case none
        case sendPing
        /// Silent past `idle_timeout`: close with 1001 (``Action/sendClose(_:reason:limit:shutOutput:)``).
        case close(Action)
    }

    /// How the connection ended, once: for its metrics, its log line and the apps.
    struct Ending: Equatable {
        /// The close code sent or received; nil when the client's close frame had none, or the TCP
        /// connection just dropped.
        var code: CloseCode?
        var reason: String
        /// `wsbridge_disconnects_total`'s label.
        var label: String
    }

    private(set) var state = State.open
    private var assembler: MessageAssembler
    private var rateLimiter = MessageRateLimiter()
    private var lastHeard: NIODeadline
    private var lastPing: NIODeadline
    private var closeCode: CloseCode?
    private var closeReason = ""
    /// Whether the client sent a close frame (tells 1005 from 1006 when it carried no code).
    private var closeFrameReceived = false
    /// The client broke the protocol or a limit: what it sends is no longer read.
    private var failed = false

    init(assembler: MessageAssembler, now: NIODeadline, messagesPerSecond: Int?) {
        self.assembler = assembler
        self.lastHeard = now
        self.lastPing = now
        if let messagesPerSecond {
            self.rateLimiter.fill(perSecond: messagesPerSecond, now: now)
        }
    }

    var isOpen: Bool { self.state == .open }

    /// Whether bytes from the client are still read: not after a failure, nor after the client's close
    /// frame (RFC 6455 §5.5.1: it sends nothing after it), nor once closed.
    var readsFrames: Bool {
        self.state != .closed && !self.failed && !self.closeFrameReceived
    }

    /// The largest frame payload to accept.
    var maxFrameBytes: Int { self.assembler.maxFrameBytes }

    /// The validator a text frame still arriving continues (``MessageAssembler/textValidator(for:)``).
    func textValidator(for header: ClientFrameParser.Header) -> UTF8StreamValidator? {
        self.assembler.textValidator(for: header)
    }

    /// The client was heard from (a read with at least one whole frame).
    mutating func heard(at now: NIODeadline) {
        self.lastHeard = now
    }

    /// One client frame. `messagesPerSecond` is `max_client_messages_per_second` (nil: no limit);
    /// `inflater` is asked for only when a compressed message is complete.
    mutating func receive(
        _ frame: WebSocketFrame, now: NIODeadline, messagesPerSecond: Int?, inflater: () -> MessageInflater
    ) -> Action {
        guard self.readsFrames else { return .none }
        switch self.assembler.receive(frame, inflater: inflater) {
        case .none, .pongReceived:
            return .none
        case .message(let payload, let isBinary):
            guard self.state == .open else { return .none }
            if let rate = messagesPerSecond, !self.rateLimiter.admit(perSecond: rate, now: now) {
                return self.close(.policyViolation, reason: "more than \(rate) messages per second", limit: .clientMessageRate)
            }
            return .deliver(payload, isBinary: isBinary)
        case .pong(let payload):
            return self.state == .open ? .sendPong(payload) : .none
        case .closeReceived(let code, let reason):
            switch self.state {
            case .open:
                self.closeFrameReceived = true
                self.closeCode = code
                self.closeReason = reason
                self.state = .closing
                return .echoClose(code)
            case .closing:
                self.closeFrameReceived = true
                return .closeChannel
            case .closed:
                return .none
            }
        case .fail(let code, let reason, let limit):
            return self.fail(code, reason: reason, limit: limit)
        }
    }

    /// The client's bytes cannot be cut into frames.
    mutating func unreadable(_ failure: ClientFrameParser.Failure, maxMessageBytes: Int) -> Action {
        switch failure {
        case .frameTooLarge:
            return self.fail(.messageTooBig, reason: "frame exceeds \(maxMessageBytes) bytes", limit: .messageTooBig)
        case .protocolError(let reason):
            return self.fail(.protocolError, reason: reason, limit: nil)
        }
    }

    /// Text that is not UTF-8 in a frame still arriving.
    mutating func invalidText() -> Action {
        self.fail(.invalidPayload, reason: "text message is not valid UTF-8", limit: nil)
    }

    /// "Fail the WebSocket Connection" (RFC 6455 §7.1.7): nothing more the client sends is processed.
    private mutating func fail(_ code: CloseCode, reason: String, limit: LimitKind?) -> Action {
        self.failed = true
        return self.close(code, reason: reason, limit: limit, shutOutput: true)
    }

    /// Starts the close handshake from our side; `.none` when it has started already.
    mutating func close(_ code: CloseCode, reason: String, limit: LimitKind? = nil, shutOutput: Bool = false) -> Action {
        guard self.state == .open else { return .none }
        self.state = .closing
        self.closeCode = code
        self.closeReason = reason
        return .sendClose(code, reason: reason, limit: limit, shutOutput: shutOutput)
    }

    /// Pings and the idle timeout, at `now`.
    mutating func heartbeat(now: NIODeadline, pingInterval: TimeAmount?, idleTimeout: TimeAmount?) -> Heartbeat {
        guard self.state == .open else { return .none }
        let silence = now - self.lastHeard
        if let idleTimeout, silence >= idleTimeout {
            return .close(self.close(.goingAway, reason: "idle timeout", limit: .idleTimeout))
        }
        if let pingInterval, silence >= pingInterval, now - self.lastPing >= pingInterval {
            self.lastPing = now
            return .sendPing
        }
        return .none
    }

    /// The socket is gone: how the connection ended, the first time only.
    mutating func closed() -> Ending? {
        guard self.state != .closed else { return nil }
        self.state = .closed
        return Ending(
            code: self.closeCode, reason: self.closeReason,
            label: CloseCode.disconnectLabel(self.closeCode, closeFrameReceived: self.closeFrameReceived))
    }
}
