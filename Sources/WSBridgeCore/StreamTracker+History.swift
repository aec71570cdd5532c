import NIOCore

// The history side of the stream tracker: batching the reads, and what each answer means for the
// streams and the sessions that asked.

extension StreamTracker {
    /// The history requests waiting, in batches of at most ``fetchBatchSize``.
    public mutating func takeFetches() -> [Action] {
        guard !self.queued.isEmpty else { return [] }
        var actions: [Action] = []
        var start = 0
        while start < self.queued.count {
            let batch = Array(self.queued[start..<min(start + self.fetchBatchSize, self.queued.count)])
            start += batch.count
            let id = self.nextFetch
            self.nextFetch += 1
            self.inFlight[id] = batch
            actions.append(.fetch(id, batch.map(\.request)))
        }
        self.queued.removeAll(keepingCapacity: true)
        return actions
    }

    /// Sends again what failed (call it a short while after ``Action/retryLater``).
    public mutating func retry() {
        self.queued.append(contentsOf: self.deferred)
        self.deferred.removeAll()
    }

    /// The broker answered fetch `id` (or could not).
    public mutating func fetchReplied(_ id: FetchID, _ result: Result<[HistoryReply], HistoryFailure>, now: NIODeadline) -> [Action] {
        guard let purposes = self.inFlight.removeValue(forKey: id) else { return [] }
        switch result {
        case .failure(.unavailable):
            self.historyAvailable = false
            return purposes.flatMap { self.withoutHistory($0) }
        case .failure(.failed):
            self.deferred.append(contentsOf: purposes)
            return [.retryLater]
        case .success(let replies) where replies.count != purposes.count:
            self.deferred.append(contentsOf: purposes)
            return [.retryLater]
        case .success(let replies):
            var actions: [Action] = []
            for (purpose, reply) in zip(purposes, replies) {
                actions += self.answer(purpose, reply, now: now)
            }
            return actions
        }
    }

    fileprivate mutating func answer(_ purpose: Purpose, _ reply: HistoryReply, now: NIODeadline) -> [Action] {
        let top = StreamPosition(epoch: reply.epoch, offset: reply.top)
        switch purpose {
        case .position(let stream):
            guard var track = self.tracks[stream] else { return [] }
            track.positionPending = false
            let catchUp = track.catchUpAfterPosition
            track.catchUpAfterPosition = false
            self.tracks[stream] = track
            guard let cursor = track.cursor else {
                self.tracks[stream]!.cursor = top
                if catchUp {
                    self.startCatchUp(stream, from: top)
                }
                return []
            }
            // The stream went on (or restarted, or Redis rewound it) without this node hearing of it.
            if !track.catchingUp, !cursor.covers(top) || top.offset < cursor.offset {
                self.startCatchUp(stream, from: cursor)
            }
            return []
        case .catchUp(let stream, let since):
            return self.caughtUp(stream, since: since, reply, now: now)
        case .recovery(let ticket, let sessionStream, let stream, let since):
            guard var pending = self.recoveries[ticket] else { return [] }
            var invalid: [Action] = []
            let (gap, entries) = self.missed(stream, since: since, reply, now: now, invalid: &invalid)
            pending.parts[sessionStream] = SessionRecovery.Part(stream: sessionStream, gap: gap, entries: entries, end: top)
            guard pending.parts.count == SessionStream.allCases.count else {
                self.recoveries[ticket] = pending
                return invalid
            }
            self.recoveries[ticket] = nil
            return invalid + [.recovered(ticket, Self.recovery(pending))]
        }
    }

    fileprivate mutating func caughtUp(_ stream: StreamID, since: StreamPosition, _ reply: HistoryReply, now: NIODeadline) -> [Action] {
        guard var track = self.tracks[stream] else { return [] }
        var actions: [Action] = []
        let (gap, entries) = self.missed(stream, since: since, reply, now: now, invalid: &actions)
        if let gap {
            actions.append(.gap(gap))
            track.cursor = gap.resumesAfter
        }
        var out: [Delivery] = []
        for entry in entries {
            guard let position = entry.positions.first else { continue }
            if let cursor = track.cursor, cursor.covers(position) { continue }
            track.cursor = position
            out.append(entry)
        }
        let top = StreamPosition(epoch: reply.epoch, offset: reply.top)
        if let cursor = track.cursor, cursor.epoch == top.epoch, cursor.offset < top.offset {
            track.cursor = top  // entries that could not be parsed still count as passed
        }
        if track.catchingUp {
            track.catchingUp = false
            self.catchingUpCount -= 1
        }
        let held = track.held
        track.held = []
        self.tracks[stream] = track
        for delivery in held {
            self.admit(delivery, into: &out)
        }
        if !out.isEmpty {
            actions.append(.dispatch(out))
        }
        return actions
    }

    /// The gap (if any) and the messages a reply holds for a reader at `since`.
    fileprivate func missed(
        _ stream: StreamID, since: StreamPosition?, _ reply: HistoryReply, now: NIODeadline, invalid: inout [Action]
    ) -> (StreamGap?, [Delivery]) {
        guard let since else { return (nil, []) }
        var gap: StreamGap?
        let resume = StreamPosition(epoch: reply.epoch, offset: reply.first - 1)
        if since.epoch != reply.epoch {
            gap = StreamGap(stream: stream, reason: .historyLost, after: since, resumesAfter: resume)
        } else if since.offset > reply.top {
            // Rewound: Redis came back with fewer messages than were delivered (an AOF fsynced every
            // second, a replica promoted): the offsets after `top` will be handed out again, to
            // other messages. Go back to `top`, and say that what was after it may be lost elsewhere.
            gap = StreamGap(
                stream: stream, reason: .historyLost, after: since,
                resumesAfter: StreamPosition(epoch: reply.epoch, offset: reply.top))
        } else if reply.first > since.offset + 1 {
            gap = StreamGap(stream: stream, reason: .historyTrimmed, after: since, resumesAfter: resume)
        }
        var entries: [Delivery] = []
        entries.reserveCapacity(reply.entries.count)
        for (index, entry) in reply.entries.enumerated() {
            let position = StreamPosition(epoch: reply.epoch, offset: reply.first + UInt64(index))
            switch self.parser.parse(entry) {
            case .success(let envelope):
                let delivery = Delivery(envelope: envelope, source: .history, arrivedAt: now)
                entries.append(delivery.restricted(to: stream, at: position))
            case .failure(let error):
                invalid.append(.invalidEntry(error))
            }
        }
        return (gap, entries)
    }

    /// A request answered without history: positions unknown, held messages go out as they are.
    fileprivate mutating func withoutHistory(_ purpose: Purpose) -> [Action] {
        switch purpose {
        case .position(let stream):
            self.tracks[stream]?.positionPending = false
            return []
        case .catchUp(let stream, _):
            guard var track = self.tracks[stream] else { return [] }
            let held = track.held
            track.held = []
            if track.catchingUp {
                track.catchingUp = false
                self.catchingUpCount -= 1
            }
            track.cursor = nil
            self.tracks[stream] = track
            return held.isEmpty ? [] : [.dispatch(held)]
        case .recovery(let ticket, let sessionStream, _, _):
            guard var pending = self.recoveries[ticket] else { return [] }
            pending.parts[sessionStream] = SessionRecovery.Part(stream: sessionStream, end: nil)
            guard pending.parts.count == SessionStream.allCases.count else {
                self.recoveries[ticket] = pending
                return []
            }
            self.recoveries[ticket] = nil
            return [.recovered(ticket, Self.recovery(pending))]
        }
    }

    static func recovery(_ pending: PendingRecovery) -> SessionRecovery {
        SessionRecovery(user: pending.user, parts: SessionStream.allCases.compactMap { pending.parts[$0] })
    }
}
