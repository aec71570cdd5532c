/// Why a frame from wsbridge could not be read as an ``AppEvent`` (see ``AppEventParser``).
///
/// The codes are the protocol's own (``AppProtocolError/Code``), with the meaning they have for
/// requests: ``AppProtocolError/Code/invalidUTF8``, ``AppProtocolError/Code/invalidJSON``,
/// ``AppProtocolError/Code/notAnObject``, ``AppProtocolError/Code/missingType``,
/// ``AppProtocolError/Code/unknownType``, ``AppProtocolError/Code/missingField`` and
/// ``AppProtocolError/Code/badField``.
///
/// ``AppProtocolError/Code/unknownType`` is not a fault: protocol 1 may gain event types, and an app
/// must ignore the ones it does not know (``isUnknownType``). Any other code means the daemon sent
/// something this side cannot read.
public struct AppEventParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of the failure.
    public var code: AppProtocolError.Code
    /// What went wrong, for a human: names the field and the rule it broke. Not stable.
    public var message: String
    /// The event's `type`, when it was read before the failure.
    public var type: String?

    public init(code: AppProtocolError.Code, message: String, type: String? = nil) {
        self.code = code
        self.message = message
        self.type = type
    }

    /// Whether the frame is a well-formed event of a type this side does not know, to be ignored.
    public var isUnknownType: Bool {
        code == .unknownType
    }

    public var description: String {
        if let type {
            return "\(code.rawValue) (event \(AppRequestParser.excerpt(type))): \(message)"
        }
        return "\(code.rawValue): \(message)"
    }
}
