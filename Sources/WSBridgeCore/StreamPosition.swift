/// A history stream: the messages addressed to one user, or those addressed to everyone.
///
/// Its name is the one the brokers use (`u:<user>`, `all`); see docs/reliability.md.
public enum StreamID: Hashable, Sendable, CustomStringConvertible {
    case user(String)
    case all

    /// `u:<user>` or `all`.
    public var name: String {
        switch self {
        case .user(let user): "u:" + user
        case .all: "all"
        }
    }

    public var description: String { self.name }
}

/// Where one message stands in its stream: the stream's epoch and the message's offset in it.
///
/// Offsets count from 1 within an epoch, one per message, without holes. A new epoch starts when the
/// stream's history is lost (Redis restarted without persistence, or the stream's position expired):
/// positions of two epochs are never compared by offset. Written `EPOCH-OFFSET`, for example
/// `6b1163c72284a-17`; the epoch is 1 to 32 characters `0-9a-z`.
public struct StreamPosition: Hashable, Sendable, CustomStringConvertible {
    public var epoch: String
    public var offset: UInt64

    public init(epoch: String, offset: UInt64) {
        self.epoch = epoch
        self.offset = offset
    }

    /// Reads `EPOCH-OFFSET`; nil for anything else.
    public init?<S: StringProtocol>(_ text: S) {
        let utf8 = Array(text.utf8)
        guard let dash = utf8.lastIndex(of: UInt8(ascii: "-")) else { return nil }
        let epoch = utf8[..<dash]
        let digits = utf8[(dash + 1)...]
        guard (1...32).contains(epoch.count), epoch.allSatisfy(Self.isEpochByte),
            (1...20).contains(digits.count), digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let offset = UInt64(String(decoding: digits, as: UTF8.self))
        else {
            return nil
        }
        self.epoch = String(decoding: epoch, as: UTF8.self)
        self.offset = offset
    }

    public var description: String { "\(self.epoch)-\(self.offset)" }

    /// Whether `other` is in the same epoch and at most this far.
    public func covers(_ other: StreamPosition) -> Bool {
        other.epoch == self.epoch && other.offset <= self.offset
    }

    private static func isEpochByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }
}

/// Where a session stands: in its user's stream and in the `all` stream. This is the `pos` a client of
/// the `wsbridge.v1` subprotocol (and an app session) is given with every message, and hands back as
/// `since` to get what it missed.
///
/// Written `USERPOS.ALLPOS`, either part empty when unknown: `6b1163c72284a-17.6b1163c70001f-4021`.
/// Both parts are positions (`EPOCH-OFFSET`), so the text needs no URL escaping.
public struct SessionPosition: Hashable, Sendable, CustomStringConvertible {
    public var user: StreamPosition?
    public var all: StreamPosition?

    public init(user: StreamPosition? = nil, all: StreamPosition? = nil) {
        self.user = user
        self.all = all
    }

    /// Reads `USERPOS.ALLPOS`; nil for anything else (including an empty text).
    public init?<S: StringProtocol>(_ text: S) {
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 2, !text.isEmpty else { return nil }
        if parts[0].isEmpty {
            self.user = nil
        } else {
            guard let user = StreamPosition(parts[0]) else { return nil }
            self.user = user
        }
        if parts[1].isEmpty {
            self.all = nil
        } else {
            guard let all = StreamPosition(parts[1]) else { return nil }
            self.all = all
        }
    }

    public var description: String {
        (self.user?.description ?? "") + "." + (self.all?.description ?? "")
    }

    public subscript(stream: SessionStream) -> StreamPosition? {
        get {
            switch stream {
            case .user: self.user
            case .all: self.all
            }
        }
        set {
            switch stream {
            case .user: self.user = newValue
            case .all: self.all = newValue
            }
        }
    }
}

/// Which of a session's two streams: its user's, or `all`.
public enum SessionStream: String, Sendable, CaseIterable {
    case user
    case all
}
