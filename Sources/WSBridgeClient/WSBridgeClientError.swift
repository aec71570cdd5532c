import WSBridgeProtocol

/// Why a ``WSBridgeAppClient`` call failed. Each case says whose side the fault is on.
public enum WSBridgeClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The app socket could not be opened: it does not exist, nothing listens on it, or this process
    /// may not use it. `reason` is the system's explanation, with a hint.
    case cannotConnect(socketPath: String, reason: String)
    /// wsbridge answered the request with `error`: `code` is stable (see the table in
    /// `docs/protocol.md`), `message` is for humans. The connection stays usable unless `code` is one
    /// the daemon closes it for.
    case rejected(code: AppProtocolError.Code, message: String)
    /// The request was not sent because it would not encode into what its caller meant (`.json`
    /// data that is not exactly one JSON value, `.text` that is not UTF-8); see
    /// ``AppRequestEncoder/check(_:)``. The connection is untouched.
    case invalidRequest(code: AppProtocolError.Code, message: String)
    /// The connection is gone (closed by wsbridge, by this client, or by an I/O error) before the
    /// reply came; whether the request took effect is unknown.
    case connectionClosed(reason: String)
    /// wsbridge sent a frame this client cannot read, or a reply that answers no request in flight.
    /// The client closes the connection.
    case protocolViolation(String)
    /// wsbridge did not answer `hello` in time.
    case timedOut(String)

    public var description: String {
        switch self {
        case .cannotConnect(let socketPath, let reason):
            return "cannot connect to the wsbridge app socket at \(socketPath): \(reason)"
        case .rejected(let code, let message):
            return "wsbridge refused the request: \(code.rawValue): \(message)"
        case .invalidRequest(let code, let message):
            return "request not sent: \(code.rawValue): \(message)"
        case .connectionClosed(let reason):
            return "the connection to wsbridge is closed: \(reason)"
        case .protocolViolation(let message):
            return "wsbridge sent something this client cannot read: \(message)"
        case .timedOut(let message):
            return "timed out: \(message)"
        }
    }
}
