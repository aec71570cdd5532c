/// A failure on the app socket, as the app sees it: an `error` event with a stable `code`, a
/// human-readable `message` and, when the request could be read far enough, its `id`.
///
/// Produced by ``AppFrameDecoder`` (``Code/frameTooLarge``), ``AppRequestParser`` (the codes about
/// the shape of a request) and the daemon (the codes about its state; see the factory methods in
/// `AppProtocolError+Daemon.swift`). Exactly one handler per app connection turns it into an `error`
/// frame with ``AppEvent/failure(_:)``, then closes the connection if ``closesConnection`` says so.
public struct AppProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The machine-readable class of the failure.
    public var code: Code
    /// What went wrong, for a human: names the field and the rule it broke. Not stable; do not match on it.
    public var message: String
    /// The id of the request that failed, when it was read before the failure.
    public var id: RequestID?

    public init(code: Code, message: String, id: RequestID? = nil) {
        self.code = code
        self.message = message
        self.id = id
    }

    /// Whether wsbridge closes the app connection after sending the error: only when the byte stream
    /// can no longer be trusted (``Code/frameTooLarge``) or the app stopped reading
    /// (``Code/slowConsumer``). After any other error the stream is still in sync and the app goes on.
    public var closesConnection: Bool {
        code == .frameTooLarge || code == .slowConsumer
    }

    public var description: String {
        if let id {
            return "\(code.rawValue) (request \(id.json)): \(message)"
        }
        return "\(code.rawValue): \(message)"
    }
}

extension AppProtocolError {
    /// A stable error code: its raw value is the `code` string on the wire.
    ///
    /// An open set (a struct, not an enum) so that codes can be added without breaking callers; the
    /// table in `docs/protocol.md` lists each code, when it happens, and whether the connection stays open.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        public var description: String {
            rawValue
        }

        // Framing and syntax: the frame itself is unusable.

        /// A length prefix of 0 or over `max_frame_bytes`. The stream cannot be resynchronised: the
        /// connection is closed after the error.
        public static let frameTooLarge = Code(rawValue: "frame_too_large")
        /// The frame is not valid UTF-8.
        public static let invalidUTF8 = Code(rawValue: "invalid_utf8")
        /// The frame is not valid JSON (or nests deeper than 64 levels).
        public static let invalidJSON = Code(rawValue: "invalid_json")
        /// The frame is valid JSON but not an object.
        public static let notAnObject = Code(rawValue: "not_an_object")

        // Shape of a request.

        /// The object has no string member `type`.
        public static let missingType = Code(rawValue: "missing_type")
        /// `type` names no request of this protocol version.
        public static let unknownType = Code(rawValue: "unknown_type")
        /// A required field is absent.
        public static let missingField = Code(rawValue: "missing_field")
        /// A field has the wrong JSON type or a value out of range, appears twice, or contradicts another.
        public static let badField = Code(rawValue: "bad_field")

        // Session with the daemon.

        /// A request other than `hello` came before `hello`.
        public static let helloRequired = Code(rawValue: "hello_required")
        /// A second `hello` on the same connection.
        public static let duplicateHello = Code(rawValue: "duplicate_hello")
        /// `hello` asked for a protocol version this daemon does not speak.
        public static let unsupportedProtocol = Code(rawValue: "unsupported_protocol")
        /// `conn` names no connection this app may act on.
        public static let unknownConn = Code(rawValue: "unknown_conn")
        /// `accept` or `reject` for a connection that is not awaiting this app's decision.
        public static let notPending = Code(rawValue: "not_pending")
        /// `unregister` for a session this app has not registered.
        public static let unknownSession = Code(rawValue: "unknown_session")
        /// `register` for a session id this app has already registered.
        public static let duplicateSession = Code(rawValue: "duplicate_session")
        /// The broker did not accept a `publish`.
        public static let publishFailed = Code(rawValue: "publish_failed")
        /// A `presence` query could not be answered (Redis unreachable, or without the function
        /// library).
        public static let presenceUnavailable = Code(rawValue: "presence_unavailable")
        /// The app stopped reading and its queue passed `app_max_queue_bytes`: the connection is
        /// closed after the error.
        public static let slowConsumer = Code(rawValue: "slow_consumer")
        /// A fault inside wsbridge; the request had no effect.
        public static let `internal` = Code(rawValue: "internal")

        /// Every code of protocol version 1, in the order of the documentation's table.
        public static let allVersion1: [Code] = [
            .frameTooLarge, .invalidUTF8, .invalidJSON, .notAnObject, .missingType, .unknownType,
            .missingField, .badField, .helloRequired, .duplicateHello, .unsupportedProtocol, .unknownConn,
            .notPending, .unknownSession, .duplicateSession, .publishFailed, .presenceUnavailable, .slowConsumer,
            .internal,
        ]
    }
}
