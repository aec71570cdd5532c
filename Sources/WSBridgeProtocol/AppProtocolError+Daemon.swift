import WSBridgeJSON

// The errors that depend on the daemon's state rather than on the shape of a request, with their
// messages written once, so every part of the daemon words them alike.

extension AppProtocolError {
    /// The app sent `request` before `hello`.
    public static func helloRequired(id: RequestID?, request: String) -> AppProtocolError {
        AppProtocolError(code: .helloRequired, message: "\"\(request)\" before \"hello\"; send \"hello\" first", id: id)
    }

    /// The app sent `hello` twice.
    public static func duplicateHello(id: RequestID?) -> AppProtocolError {
        AppProtocolError(code: .duplicateHello, message: "\"hello\" was already received on this connection", id: id)
    }

    /// `hello` asked for a protocol `version` other than ``AppProtocol/version``.
    public static func unsupportedProtocol(id: RequestID?, version: Int) -> AppProtocolError {
        AppProtocolError(
            code: .unsupportedProtocol,
            message: "protocol \(version) is not supported; this daemon speaks protocol \(AppProtocol.version)",
            id: id
        )
    }

    /// `conn` is not a connection this app may act on.
    public static func unknownConn(id: RequestID?, conn: String) -> AppProtocolError {
        AppProtocolError(code: .unknownConn, message: "no connection \(JSONText.quoted(conn)) for this app", id: id)
    }

    /// `accept` or `reject` for a connection that is not awaiting this app's decision.
    public static func notPending(id: RequestID?, conn: String) -> AppProtocolError {
        AppProtocolError(
            code: .notPending,
            message: "connection \(JSONText.quoted(conn)) is not awaiting a decision from this app",
            id: id
        )
    }

    /// `unregister` for a session this app has not registered.
    public static func unknownSession(id: RequestID?, session: String) -> AppProtocolError {
        AppProtocolError(code: .unknownSession, message: "no session \(JSONText.quoted(session)) registered by this app", id: id)
    }

    /// `register` for a session this app has already registered.
    public static func duplicateSession(id: RequestID?, session: String) -> AppProtocolError {
        AppProtocolError(
            code: .duplicateSession,
            message: "session \(JSONText.quoted(session)) is already registered by this app",
            id: id
        )
    }

    /// The broker refused or failed a `publish`; `reason` says why (never a credential).
    public static func publishFailed(id: RequestID?, reason: String) -> AppProtocolError {
        AppProtocolError(code: .publishFailed, message: "the broker did not accept the message: \(reason)", id: id)
    }

    /// A `presence` query failed; `reason` says why.
    public static func presenceUnavailable(id: RequestID?, reason: String) -> AppProtocolError {
        AppProtocolError(code: .presenceUnavailable, message: "presence could not be read: \(reason)", id: id)
    }

    /// The app's outbound queue passed `limit` bytes.
    public static func slowConsumer(limit: Int) -> AppProtocolError {
        AppProtocolError(
            code: .slowConsumer,
            message: "the app stopped reading: more than \(limit) bytes queued for it; disconnecting"
        )
    }

    /// A fault inside wsbridge while handling a request.
    public static func `internal`(id: RequestID?, reason: String) -> AppProtocolError {
        AppProtocolError(code: .internal, message: "internal error: \(reason)", id: id)
    }
}
