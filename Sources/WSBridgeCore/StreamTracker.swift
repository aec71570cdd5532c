import NIOCore

/// What the node knows of the streams it delivers: for every user with a session here, and for `all`,
/// the position of the last message delivered. With it the node delivers each durable message once and in
/// order, notices a hole (after the subscription was lost, or a new epoch after Redis lost its history),
/// catches up from the history before it goes on, and answers the recoveries sessions start with.
/// A state machine with no I/O: every input returns the actions to perform (``StreamTrackerDriver``
/// performs them).
///
/// ```
///  per stream:   untracked ──(first session here)──▶ tracked, position unknown ──(position read, or a
///                                                       message arrives)──▶ live(cursor)
///  live: message at cursor+1 ──▶ dispatch, cursor+1      at ≤ cursor ──▶ dropped (a duplicate)
///        anything else (a hole, another epoch), or the subscription came back
///              ──▶ catching up: live messages held; fetch(since cursor)
///  catching up ──(reply)──▶ [gap] + the missed messages + the held ones, in order ──▶ live
/// ```
///
/// Best-effort messages (no positions) pass straight through. Fetches are collected and sent in
/// batches (``takeFetches()``); a fetch that fails is tried again when ``retry()`` is called.
public struct StreamTracker: Sendable {
    /// One history read: the stream, and the position after which messages are wanted (nil: only the
    /// stream's position).
    public struct HistoryRequest: Sendable, Hashable {
        public var stream: StreamID
        public var since: StreamPosition?

        public init(stream: StreamID, since: StreamPosition?) {
            self.stream = stream
            self.since = since
        }
    }

    /// One stream's answer: its epoch and last offset, and the retained messages `first...top`.
    public struct HistoryReply: Sendable {
        public var epoch: String
        public var top: UInt64
        public var first: UInt64
        public var entries: [ByteBuffer]

        public init(epoch: String, top: UInt64, first: UInt64, entries: [ByteBuffer]) {
            self.epoch = epoch
            self.top = top
            self.first = first
            self.entries = entries
        }
    }

    public typealias FetchID = UInt64
    public typealias Ticket = UInt64

    public enum Action: Sendable {
        /// Hand these deliveries to every shard, in order.
        case dispatch([Delivery])
        /// Tell the sessions of the gap's stream, apps, metrics and the log.
        case gap(StreamGap)
        /// Read the history; answer with ``fetchReplied(_:_:now:)``.
        case fetch(FetchID, [HistoryRequest])
        /// The session behind `ticket` can start: here is what it missed.
        case recovered(Ticket, SessionRecovery)
        /// Fetches failed; call ``retry()`` after a short delay.
        case retryLater
        /// A message read back from the history could not be parsed (skipped, its position passed).
        case invalidEntry(EnvelopeError)
    }

    /// Why a history request was made.
    enum Purpose: Sendable {
        /// The node's own position of a stream (a new stream, or the periodic audit).
        case position(StreamID)
        /// The node catches up after `since`.
        case catchUp(StreamID, since: StreamPosition)
        /// A session's recovery of one of its streams.
        case recovery(Ticket, SessionStream, StreamID, since: StreamPosition?)

        var request: HistoryRequest {
            switch self {
            case .position(let stream): HistoryRequest(stream: stream, since: nil)
            case .catchUp(let stream, let since): HistoryRequest(stream: stream, since: since)
            case .recovery(_, _, let stream, let since): HistoryRequest(stream: stream, since: since)
            }
        }
    }

    struct Track: Sendable {
        var cursor: StreamPosition?
        /// Shards holding a session of this user; `all` is pinned.
        var shards: Int
        var catchingUp = false
        var positionPending = false
        /// Per-user routing: the subscription was confirmed while the position was being read, which
        /// may have been read before it: catch up from the position once it is known.
        var catchUpAfterPosition = false
        /// Live messages that arrived while catching up, restricted to this stream, in order.
        var held: [Delivery] = []
    }

    struct PendingRecovery: Sendable {
        var user: String
        var parts: [SessionStream: SessionRecovery.Part]
    }

    /// The most history requests in one fetch.
    public let fetchBatchSize: Int
    let parser: EnvelopeParser
    var tracks: [StreamID: Track] = [:]
    var queued: [Purpose] = []
    var deferred: [Purpose] = []
    var inFlight: [FetchID: [Purpose]] = [:]
    var nextFetch: FetchID = 1
    var recoveries: [Ticket: PendingRecovery] = [:]
    /// False once the broker said it keeps no history (a Redis without the function library): sessions
    /// are then answered at once, without positions.
    public internal(set) var historyAvailable = true

    public init(parser: EnvelopeParser, fetchBatchSize: Int = 500) {
        self.parser = parser
        self.fetchBatchSize = max(1, fetchBatchSize)
        self.tracks[.all] = Track(shards: 1)
        self.queuePosition(.all)
    }

    /// The node's position in `stream`, if it tracks the stream and knows it.
    public func cursor(of stream: StreamID) -> StreamPosition? { self.tracks[stream]?.cursor }
    /// Whether the node tracks `stream` (a session of that user is here, or it is `all`).
    public func tracks(_ stream: StreamID) -> Bool { self.tracks[stream] != nil }
    /// The number of streams tracked, `all` included.
    public var trackedCount: Int { self.tracks.count }
    /// Distinct users with a session on this node: the user streams tracked.
    public var userCount: Int { self.tracks.count - (self.tracks[.all] == nil ? 0 : 1) }
    /// Streams catching up right now.
    public internal(set) var catchingUpCount = 0
    /// Whether history requests wait to be sent, are in flight or wait for a retry.
    public var hasPendingFetches: Bool { !self.queued.isEmpty || !self.inFlight.isEmpty || !self.deferred.isEmpty }

    // MARK: Sessions

    /// A shard got its first session of `user`.
    public mutating func userAppeared(_ user: String) {
        let stream = StreamID.user(user)
        if self.tracks[stream] != nil {
            self.tracks[stream]!.shards += 1
            return
        }
        self.tracks[stream] = Track(shards: 1)
        self.queuePosition(stream)
    }

    /// A shard lost its last session of `user`.
    public mutating func userLeft(_ user: String) {
        let stream = StreamID.user(user)
        guard var track = self.tracks[stream] else { return }
        track.shards -= 1
        if track.shards <= 0, track.catchingUp {
            self.catchingUpCount -= 1
        }
        self.tracks[stream] = track.shards > 0 ? track : nil
    }

    /// A session of `user` starts: from `since`, or from the current positions. Answered with
    /// ``Action/recovered(_:_:)`` for `ticket`, at once when the node knows enough.
    public mutating func recover(_ ticket: Ticket, user: String, since: SessionPosition?) -> [Action] {
        var pending = PendingRecovery(user: user, parts: [:])
        for sessionStream in SessionStream.allCases {
            let stream: StreamID = sessionStream == .all ? .all : .user(user)
            let wanted = since?[sessionStream]
            guard self.historyAvailable else {
                pending.parts[sessionStream] = SessionRecovery.Part(stream: sessionStream, end: nil)
                continue
            }
            if let track = self.tracks[stream], let cursor = track.cursor, !track.catchingUp,
                wanted == nil || wanted == cursor
            {
                pending.parts[sessionStream] = SessionRecovery.Part(stream: sessionStream, end: cursor)
            } else {
                self.queued.append(.recovery(ticket, sessionStream, stream, since: wanted))
            }
        }
        if pending.parts.count == SessionStream.allCases.count {
            return [.recovered(ticket, Self.recovery(pending))]
        }
        self.recoveries[ticket] = pending
        return []
    }

    /// The session behind `ticket` left before its recovery was answered.
    public mutating func abandon(_ ticket: Ticket) {
        self.recoveries[ticket] = nil
    }

    // MARK: Link

    /// The subscription is (re-)established: whatever was published while it was down is in the history,
    /// so every stream with a known position catches up from it.
    public mutating func linkUp() {
        self.historyAvailable = true
        for (stream, track) in self.tracks {
            if let cursor = track.cursor {
                if !track.catchingUp {
                    self.startCatchUp(stream, from: cursor)
                }
            } else {
                self.queuePosition(stream)
            }
        }
    }

    /// Per-user routing: the broker receives these users' messages from now on. A stream whose position
    /// was read before catches up from it: what was published in between is only in the history. One
    /// whose position is still being read (on another connection, so perhaps before the subscription
    /// took effect) catches up from that position as soon as it is known.
    public mutating func subscribed(_ users: [String]) {
        for user in users {
            let stream = StreamID.user(user)
            guard let track = self.tracks[stream], !track.catchingUp else { continue }
            if let cursor = track.cursor {
                self.startCatchUp(stream, from: cursor)
            } else if track.positionPending {
                self.tracks[stream]!.catchUpAfterPosition = true
            }
        }
    }

    /// Reads every tracked stream's position again: keeps the positions alive in Redis while sessions
    /// are here (`history_meta_ttl`) and finds a hole the node did not notice.
    public mutating func audit() {
        for stream in self.tracks.keys {
            self.queuePosition(stream)
        }
    }

    // MARK: Messages

    /// Messages from the broker, in arrival order.
    public mutating func received(_ deliveries: [Delivery]) -> [Action] {
        var out: [Delivery] = []
        out.reserveCapacity(deliveries.count)
        for delivery in deliveries {
            self.admit(delivery, into: &out)
        }
        return out.isEmpty ? [] : [.dispatch(out)]
    }

    private enum Verdict {
        case accept
        case drop
        case hold
    }

    mutating func admit(_ delivery: Delivery, into out: inout [Delivery]) {
        guard delivery.isDurable else {
            out.append(delivery)
            return
        }
        switch delivery.target {
        case .user(let user):
            if self.verdict(delivery, .user(user), delivery.positions[0]) == .accept { out.append(delivery) }
        case .all:
            if self.verdict(delivery, .all, delivery.positions[0]) == .accept { out.append(delivery) }
        case .users(let users):
            var kept: [Int] = []
            kept.reserveCapacity(users.count)
            for (index, user) in users.enumerated() where index < delivery.positions.count {
                if self.verdict(delivery, .user(user), delivery.positions[index]) == .accept { kept.append(index) }
            }
            if kept.count == users.count {
                out.append(delivery)
            } else if !kept.isEmpty {
                out.append(delivery.restricted(toUsers: kept))
            }
        }
    }

    private mutating func verdict(_ delivery: Delivery, _ stream: StreamID, _ position: StreamPosition) -> Verdict {
        guard self.tracks[stream] != nil else { return .accept }
        // In place: a copy of the track would copy its held messages on every one held while catching up.
        let (verdict, catchUpFrom) = Self.verdict(&self.tracks[stream]!, delivery, stream, position)
        if let cursor = catchUpFrom {
            self.catchingUpCount += 1
            self.queued.append(.catchUp(stream, since: cursor))
        }
        return verdict
    }

    /// What `track` does with `delivery` at `position`, and the cursor to catch up from if it starts one.
    private static func verdict(
        _ track: inout Track, _ delivery: Delivery, _ stream: StreamID, _ position: StreamPosition
    ) -> (Verdict, catchUpFrom: StreamPosition?) {
        if track.catchingUp {
            track.held.append(delivery.restricted(to: stream, at: position))
            return (.hold, nil)
        }
        guard let cursor = track.cursor else {
            track.cursor = position
            return (.accept, nil)
        }
        if cursor.epoch == position.epoch {
            if position.offset <= cursor.offset { return (.drop, nil) }
            if position.offset == cursor.offset + 1 {
                track.cursor = position
                return (.accept, nil)
            }
        }
        track.catchingUp = true
        track.held.append(delivery.restricted(to: stream, at: position))
        return (.hold, cursor)
    }

    mutating func startCatchUp(_ stream: StreamID, from cursor: StreamPosition) {
        guard self.tracks[stream]?.catchingUp == false else { return }
        self.tracks[stream]!.catchingUp = true
        self.catchingUpCount += 1
        self.queued.append(.catchUp(stream, since: cursor))
    }

    private mutating func queuePosition(_ stream: StreamID) {
        guard let track = self.tracks[stream], !track.positionPending else { return }
        self.tracks[stream]!.positionPending = true
        self.queued.append(.position(stream))
    }
}

/// Why a history read did not answer.
public enum HistoryFailure: Error, Sendable {
    /// The broker keeps no history (a Redis without the function library).
    case unavailable
    /// It could not answer now (the link is down): try again.
    case failed(String)
}
