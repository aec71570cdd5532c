import NIOCore

/// The positions of one session that tracks them (a client of the `wsbridge.v1` subprotocol, an app's
/// registered session): where it stands in its user's stream and in `all`, the recovery it starts with,
/// and the duplicates it must not see. A state machine with no I/O: the session turns its outputs into
/// frames or events.
///
/// ```
///  recovering ──(deliveries, gaps: held, in order)
///      │ recovered(parts): for each stream: [gap], the missed messages, then the stream's end position
///      ▼ then the held items, replayed as if live
///    live ──admit(delivery, at p): p ≤ position in p's epoch ──▶ skip (a duplicate)
///                                  otherwise             ──▶ deliver, position = p
///          gap(g) beyond the position                    ──▶ gap, position = g.resumesAfter
/// ```
///
/// Every session starts recovering: from `since` (what the client last received), or with no `since`
/// from the streams' current positions (it is told them, so that it can come back for what it misses).
/// Messages published before that position are not its to get; everything after it is, exactly once.
public struct SessionCursor: Sendable {
    /// What the session sends, in order.
    public enum Output: Sendable {
        /// Send this message; `position` is the session's position after it (nil: a best-effort message,
        /// which has none and moves nothing).
        case deliver(Delivery, position: SessionPosition?)
        /// Tell the session about missing messages; `position` is where it stands after the gap.
        case gap(StreamGap, position: SessionPosition)
    }

    /// What to do with a delivery.
    public enum Admission: Sendable {
        /// Send it; the session's position after it (nil for best effort).
        case deliver(position: SessionPosition?)
        /// Already delivered: drop it.
        case skip
        /// Held until the recovery completes.
        case held
        /// Held, but the held items passed the limit: they are dropped, and the recovery will report
        /// them as a gap (``Output/gap(_:position:)``) instead.
        case overflowed
    }

    /// What the session was given to start from, as asked by the client (nil: from now).
    public let since: SessionPosition?
    /// Where the session stands.
    public private(set) var position: SessionPosition
    public private(set) var isRecovering = true
    private var held: [Held] = []
    private var heldBytes = 0
    private var overflowed = false
    /// The most bytes of payload held while recovering.
    public let holdLimit: Int

    private enum Held: Sendable {
        case delivery(Delivery, SessionStream, StreamPosition?)
        case gap(StreamGap, SessionStream)
    }

    public init(since: SessionPosition?, holdLimit: Int) {
        self.since = since
        self.position = since ?? SessionPosition()
        self.holdLimit = holdLimit
    }

    /// A delivery for the session: `position` is the message's position in the session's `stream`
    /// (nil for best effort).
    public mutating func admit(_ delivery: Delivery, stream: SessionStream, at position: StreamPosition?) -> Admission {
        if self.isRecovering {
            guard !self.overflowed else { return .overflowed }
            self.heldBytes += delivery.payload.readableBytes
            guard self.heldBytes <= self.holdLimit else {
                self.overflowed = true
                self.held.removeAll()
                self.heldBytes = 0
                return .overflowed
            }
            self.held.append(.delivery(delivery, stream, position))
            return .held
        }
        return self.admitLive(stream: stream, at: position)
    }

    private mutating func admitLive(stream: SessionStream, at position: StreamPosition?) -> Admission {
        guard let position else { return .deliver(position: nil) }
        if let current = self.position[stream], current.covers(position) {
            return .skip
        }
        self.position[stream] = position
        return .deliver(position: self.position)
    }

    /// A gap the node found in one of the session's streams (after the subscription was lost). Nil when
    /// the session is already past it (its own recovery covered it) or it is held.
    public mutating func gap(_ gap: StreamGap, stream: SessionStream) -> Output? {
        if self.isRecovering {
            if !self.overflowed {
                self.held.append(.gap(gap, stream))
            }
            return nil
        }
        return self.applyGap(gap, stream: stream)
    }

    private mutating func applyGap(_ gap: StreamGap, stream: SessionStream) -> Output? {
        if let current = self.position[stream], current.covers(gap.resumesAfter) {
            // Already where the gap ends, or past it (its own recovery saw it) — unless the gap is
            // Redis rewinding the stream to before where the session stands.
            let rewound = gap.reason == .historyLost && gap.resumesAfter.offset < current.offset
            if !rewound { return nil }
        }
        self.position[stream] = gap.resumesAfter
        return .gap(gap, position: self.position)
    }

    /// The recovery's result: what the session missed of each stream, then what was held meanwhile.
    /// Returns everything to send, in order; the session is live afterwards.
    public mutating func recovered(_ recovery: SessionRecovery) -> [Output] {
        guard self.isRecovering else { return [] }
        self.isRecovering = false
        var outputs: [Output] = []
        for part in recovery.parts {
            if let gap = part.gap {
                self.position[part.stream] = gap.resumesAfter
                outputs.append(.gap(gap, position: self.position))
            }
            for entry in part.entries {
                guard let position = entry.positions.first else { continue }
                if case .deliver(let after) = self.admitLive(stream: part.stream, at: position) {
                    outputs.append(.deliver(entry, position: after))
                }
            }
            if let end = part.end {
                let current = self.position[part.stream]
                if current == nil || current!.epoch != end.epoch || current!.offset < end.offset {
                    self.position[part.stream] = end
                }
            }
        }
        if self.overflowed {
            // What was dropped while holding is unknown: tell the session it missed messages since here.
            self.overflowed = false
            for stream in SessionStream.allCases {
                guard let resume = self.position[stream] else { continue }
                let gap = StreamGap(
                    stream: stream == .all ? .all : .user(recovery.user), reason: .historyTrimmed, after: resume,
                    resumesAfter: resume)
                outputs.append(.gap(gap, position: self.position))
            }
        }
        let held = self.held
        self.held = []
        self.heldBytes = 0
        for item in held {
            switch item {
            case .delivery(let delivery, let stream, let position):
                if case .deliver(let after) = self.admitLive(stream: stream, at: position) {
                    outputs.append(.deliver(delivery, position: after))
                }
            case .gap(let gap, let stream):
                if let output = self.applyGap(gap, stream: stream) {
                    outputs.append(output)
                }
            }
        }
        return outputs
    }
}

/// What a session missed, as the node read it from the history (``StreamTracker``).
public struct SessionRecovery: Sendable {
    public struct Part: Sendable {
        public var stream: SessionStream
        /// Messages that are gone for good, before `entries` (nil when the history covers `since`).
        public var gap: StreamGap?
        /// The missed messages, in order, each with its position in this stream.
        public var entries: [Delivery]
        /// The stream's position when it was read (nil when unknown: no history).
        public var end: StreamPosition?

        public init(stream: SessionStream, gap: StreamGap? = nil, entries: [Delivery] = [], end: StreamPosition?) {
            self.stream = stream
            self.gap = gap
            self.entries = entries
            self.end = end
        }
    }

    public var user: String
    public var parts: [Part]

    public init(user: String, parts: [Part]) {
        self.user = user
        self.parts = parts
    }
}
