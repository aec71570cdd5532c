import NIOCore

/// Where a message entered wsbridge; deliveries are counted by source.
public enum DeliverySource: String, Sendable, CaseIterable {
    /// From the Redis channel (whoever published it: another host, an app, a cron job).
    case redis
    /// From the embedded broker.
    case embedded
    /// From an app straight to one of its connections (`send`), without the broker.
    case app
    /// Read back from the history: a catch-up after the subscription was lost, or a session's recovery.
    case history
}

/// One message on its way to the local sessions: parsed once, each of its wire encodings made once.
///
/// Every recipient on every event loop that takes the same encoding (``encodings``; the edge's
/// WebSocket frame, for one) is written the same bytes (a `ByteBuffer` shares its storage, so handing
/// it to many channels copies nothing).
public struct Delivery: Sendable {
    public var target: DeliveryTarget
    /// What each recipient receives as the message body (text or binary). Constant, like `isBinary`:
    /// the ``encodings`` are made from them once and shared by every copy.
    public let payload: ByteBuffer
    public let isBinary: Bool
    /// The message's wire encodings (a WebSocket frame, compressed or not, a server-sent event), each
    /// made once on first use; the copies of a delivery share them.
    public let encodings = DeliveryEncodings()
    /// `data` as it was published: its raw JSON text (a string with its quotes, or base64 with
    /// `isBinary`); for a seed-compatible message, the whole message. For frames that carry it as JSON.
    public var data: ByteBuffer
    /// The message's position in each of its streams, as the broker gave them: one for `.user` and
    /// `.all`, one per user (in order) for `.users`; empty for a message published best effort.
    public var positions: [StreamPosition]
    public var source: DeliverySource
    /// When the message arrived at wsbridge (for latency measurement).
    public var arrivedAt: NIODeadline
    /// Where the shards count the sessions they wrote this message to, when its publisher asked for a
    /// receipt.
    public var tally: ReceiptTally?

    public init(envelope: Envelope, source: DeliverySource, arrivedAt: NIODeadline) {
        self.target = envelope.target
        self.payload = envelope.payload
        self.isBinary = envelope.isBinary
        self.data = envelope.data
        self.positions = envelope.positions
        self.source = source
        self.arrivedAt = arrivedAt
    }

    /// Whether the message has positions (it was published durably).
    public var isDurable: Bool { !self.positions.isEmpty }

    /// The message's position in `stream`, if it is in that stream and has positions.
    public func position(in stream: StreamID) -> StreamPosition? {
        guard !self.positions.isEmpty else { return nil }
        switch (self.target, stream) {
        case (.all, .all), (.user, .user):
            if case .user(let target) = self.target, case .user(let user) = stream, target != user { return nil }
            return self.positions[0]
        case (.users(let users), .user(let user)):
            guard let index = users.firstIndex(of: user), index < self.positions.count else { return nil }
            return self.positions[index]
        default:
            return nil
        }
    }

    /// The streams this message is in, each with its position (empty without positions).
    public var streamPositions: [(stream: StreamID, position: StreamPosition)] {
        guard !self.positions.isEmpty else { return [] }
        switch self.target {
        case .user(let user): return [(.user(user), self.positions[0])]
        case .all: return [(.all, self.positions[0])]
        case .users(let users): return zip(users, self.positions).map { (.user($0), $1) }
        }
    }

    /// The same message for one of its streams only: targeted at that stream, with that position.
    public func restricted(to stream: StreamID, at position: StreamPosition) -> Delivery {
        var copy = self
        switch stream {
        case .user(let user): copy.target = .user(user)
        case .all: copy.target = .all
        }
        copy.positions = [position]
        return copy
    }

    /// The same message for some of its users only (a `.users` message): positions kept in step.
    public func restricted(toUsers kept: [Int]) -> Delivery {
        guard case .users(let users) = self.target else { return self }
        var copy = self
        copy.target = .users(kept.map { users[$0] })
        copy.positions = self.positions.isEmpty ? [] : kept.map { self.positions[$0] }
        return copy
    }
}
