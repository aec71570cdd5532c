import NIOCore

/// Who a message published on the broker channel is for.
public enum DeliveryTarget: Sendable, Equatable {
    /// Every session of one user.
    case user(String)
    /// Every session of each listed user; the list is non-empty, without duplicates, in the order given.
    case users([String])
    /// Every session on every host.
    case all
}

/// One broker message, parsed once and ready to be fanned out to any number of recipients.
///
/// Wire format on the channel (see the product brief, "Redis messages on the channel"):
///
/// ```
/// {"user":"A",         "data":<any JSON>}     one user (a string or an integer: 42 and "42" are the same)
/// {"users":["A",42],   "data":<any JSON>}     several users
/// {"all":true,         "data":<any JSON>}     everyone
/// {"user":"A", "binary":true, "data":"<base64>"}   binary payload
/// {"userId":42, ...}   with compatUserField "userId": the whole message, unchanged, to user 42
/// {"wsb":"E-O[,E-O…]", <any of the above>}   a durable message: its positions, one per stream
/// {"wsr":"NODE ID [HOST …]", <any of the above>}   NODE asks for a receipt (see ReceiptRequest)
/// ```
public struct Envelope: Sendable {
    /// Who receives the payload.
    public var target: DeliveryTarget
    /// Exactly the bytes each recipient receives (the text of a text frame, or the binary frame's bytes).
    /// Often a zero-copy slice of the broker message, which it keeps alive.
    public var payload: ByteBuffer
    /// Whether the payload goes out as a binary frame (`"binary": true` with base64 `data`).
    public var isBinary: Bool
    /// The raw JSON text of `data` as published (for a seed-compatible message, the whole message).
    public var data: ByteBuffer
    /// The positions of a durable message (the `wsb` member): one per stream, in target order.
    public var positions: [StreamPosition]
    /// Who asked for a receipt of this message (the `wsr` member), if anyone did.
    public var receipt: ReceiptRequest?

    public init(
        target: DeliveryTarget, payload: ByteBuffer, isBinary: Bool, data: ByteBuffer? = nil,
        positions: [StreamPosition] = []
    ) {
        self.target = target
        self.payload = payload
        self.isBinary = isBinary
        self.data = data ?? payload
        self.positions = positions
    }
}

/// Why a broker message could not be turned into an ``Envelope``.
///
/// | code                  | meaning                                                                   |
/// |-----------------------|---------------------------------------------------------------------------|
/// | `invalid_json`        | the message is not valid JSON (RFC 8259, UTF-8)                           |
/// | `not_an_object`       | valid JSON, but not an object                                             |
/// | `no_target`           | none of `user`, `users`, `all` (nor the compatibility user field)         |
/// | `conflicting_targets` | more than one of `user`, `users`, `all` (or one of them twice)            |
/// | `bad_target`          | a target of the wrong type, empty, too long, or `all` not `true`          |
/// | `missing_data`        | a native envelope without `data`                                          |
/// | `bad_data`            | `data` or `binary` unusable (bad base64, non-boolean `binary`, twice)     |
/// | `too_large`           | more users than allowed, or JSON nested deeper than allowed               |
/// | `bad_position`        | `wsb` is not a string of positions, one per stream of the target          |
public struct EnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable error code (used in logs and metrics labels).
    public enum Code: String, Sendable {
        case invalidJSON = "invalid_json"
        case notAnObject = "not_an_object"
        case noTarget = "no_target"
        case conflictingTargets = "conflicting_targets"
        case badTarget = "bad_target"
        case missingData = "missing_data"
        case badData = "bad_data"
        case tooLarge = "too_large"
        case badPosition = "bad_position"
    }

    /// What went wrong, as a stable code.
    public var code: Code
    /// A human-readable detail for logs.
    public var detail: String

    public init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String {
        "\(code.rawValue): \(detail)"
    }
}
