/// The WebSocket close codes wsbridge sends, in one table (RFC 6455 §7.4).
///
/// | code | when wsbridge sends it |
/// |------|------------------------|
/// | 1000 | the app closed the connection normally |
/// | 1001 | the daemon is shutting down, or the client was idle past `idle_timeout` |
/// | 1002 | the client broke the protocol (unmasked frame, bad opcode, bad fragmentation, bad close frame) |
/// | 1007 | a text message was not valid UTF-8 |
/// | 1008 | policy: the client fell behind by more than `max_queue_bytes` (slow consumer) |
/// | 1009 | a message exceeded `max_message_bytes` |
/// | 1011 | an unexpected internal error |
/// | 1012 | the app serving the connection went away: reconnect |
public struct CloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let normal = CloseCode(rawValue: 1000)
    public static let goingAway = CloseCode(rawValue: 1001)
    public static let protocolError = CloseCode(rawValue: 1002)
    public static let unsupportedData = CloseCode(rawValue: 1003)
    public static let invalidPayload = CloseCode(rawValue: 1007)
    public static let policyViolation = CloseCode(rawValue: 1008)
    public static let messageTooBig = CloseCode(rawValue: 1009)
    public static let internalError = CloseCode(rawValue: 1011)
    public static let serviceRestart = CloseCode(rawValue: 1012)
    public static let tryAgainLater = CloseCode(rawValue: 1013)

    /// Whether a peer may send this code in a close frame (RFC 6455 §7.4.1–7.4.2).
    public var isValidOnTheWire: Bool {
        switch self.rawValue {
        case 1000...1003, 1007...1014: return true
        case 3000...4999: return true
        default: return false
        }
    }

    public var description: String { String(self.rawValue) }
}
