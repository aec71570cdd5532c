import NIOCore

/// Commands on a Redis Cluster: each goes to the master of its key's slot, and follows a redirect.
///
/// - `MOVED` (the slot has a new owner): the topology is read again, and the command sent once more to
///   the owner it names.
/// - `ASK` (the slot is migrating and the key already moved): `ASKING` then the command, on the node named,
///   back to back on its connection.
/// - Anything else (`CLUSTERDOWN` during a failover, `TRYAGAIN`) fails the command with Redis' words: the
///   caller knows it was not published.
extension RedisClusterCore {
    /// How many redirects one command follows before giving up (a slot bouncing between nodes).
    static let maxRedirects = 3

    /// Sends `command` to the master of `key`'s slot (any linked master for nil), following redirects.
    func send(_ command: RedisCommand, key: String?, redirects: Int = 0) -> EventLoopFuture<RESPValue> {
        guard !self.isShutDown else { return self.eventLoop.makeFailedFuture(RedisBrokerError.shutDown) }
        let link = key.map { self.master(forKey: $0) } ?? self.anyLinkedMaster()
        guard let link else {
            self.refresh()
            return self.eventLoop.makeFailedFuture(RedisBrokerError.notConnected)
        }
        return self.follow(link.send(command), from: link, command: command, key: key, redirects: redirects)
    }

    private func follow(
        _ reply: EventLoopFuture<RESPValue>, from asked: RedisPublisher, command: RedisCommand, key: String?, redirects: Int
    ) -> EventLoopFuture<RESPValue> {
        let askedHost = asked.connectedHost ?? "127.0.0.1"
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        return reply.flatMap { reply in
            guard case .error(let message) = reply, redirects < Self.maxRedirects,
                let redirect = try? ClusterRedirect.parse(message)
            else {
                return loopBound.value.eventLoop.makeSucceededFuture(reply)
            }
            let core = loopBound.value
            switch redirect.kind {
            case .moved:
                return core.refresh().flatMap {
                    loopBound.value.send(command, key: key, redirects: redirects + 1)
                }.flatMapErrorThrowing { _ in reply }
            case .ask:
                guard let target = redirect.target(askedHost: askedHost), let link = core.master(at: "\(target.host):\(target.port)")
                else {
                    core.refresh()
                    return core.eventLoop.makeSucceededFuture(reply)
                }
                _ = link.send(RedisCommand("ASKING"))
                return core.follow(link.send(command), from: link, command: command, key: key, redirects: redirects + 1)
            }
        }
    }

    // MARK: Publishing

    /// Publishes one envelope durably: one `FCALL wsbridge_publish 1 <stream key> <envelope>` per stream
    /// (``EnvelopeRouting``), each on its stream's master. The receipt's positions are those of the
    /// pieces, comma-separated in the order of the users, as one server's library answers. A `users`
    /// publish of which some pieces failed fails, naming the users it did reach.
    func publish(_ message: ByteBuffer) -> EventLoopFuture<PublishReceipt> {
        guard self.topology != nil else {
            self.refresh()
            return self.eventLoop.makeFailedFuture(RedisBrokerError.notConnected)
        }
        guard let pieces = EnvelopeRouting.pieces(of: message, compatUserField: self.settings.library?.compatUserField) else {
            // Not routable: any master's library says what is wrong with it, before writing anything.
            return self.call(RedisFunctionLibrary.publishFunction, key: nil, message)
        }
        let calls = pieces.map { self.call(RedisFunctionLibrary.publishFunction, key: $0.key, $0.envelope) }
        guard calls.count > 1 else { return calls[0] }
        return EventLoopFuture.whenAllComplete(calls, on: self.eventLoop).flatMapThrowing { results in
            var positions: [String] = []
            var failures: [String] = []
            for (piece, result) in zip(pieces, results) {
                switch result {
                case .success(let receipt):
                    positions.append(receipt.positions ?? "")
                case .failure(let error):
                    failures.append("\(piece.stream.dropFirst(2)): \(error)")
                }
            }
            guard failures.isEmpty else {
                throw RedisBrokerError.publishRejected(
                    "published to \(positions.count) of \(pieces.count) users; not to " + failures.joined(separator: "; "))
            }
            return PublishReceipt(positions: positions.contains("") ? nil : positions.joined(separator: ","))
        }
    }

    /// One durable call (plain `PUBLISH` where the master has no usable library).
    private func call(_ function: String, key: String?, _ envelope: ByteBuffer) -> EventLoopFuture<PublishReceipt> {
        let link = key.map { self.master(forKey: $0) } ?? self.anyLinkedMaster()
        if let link, !link.hasLibrary {
            return link.publishBestEffort(envelope)
        }
        let command = RedisCommand(arguments: [
            ByteBuffer(string: "FCALL"), ByteBuffer(string: function), ByteBuffer(string: key == nil ? "0" : "1"),
        ] + (key.map { [ByteBuffer(string: $0)] } ?? []) + [envelope])
        return self.send(command, key: key).flatMapThrowing(PublishReceipt.fromFunctionReply)
    }

    /// `PUBLISH` on any master: every node passes it on to its subscribers.
    func publishBestEffort(_ message: ByteBuffer) -> EventLoopFuture<PublishReceipt> {
        guard let link = self.anyLinkedMaster() else {
            return self.eventLoop.makeFailedFuture(self.isShutDown ? RedisBrokerError.shutDown : .notConnected)
        }
        return link.publishBestEffort(message)
    }

    // MARK: History

    /// The positions and retained history of streams: one `FCALL wsbridge_history 1 <key> STREAM SINCE`
    /// per stream, on its master (the calls of one master pipelined), answered in the order asked.
    func history(_ queries: [HistoryQuery]) -> EventLoopFuture<[HistorySlice]> {
        guard !queries.isEmpty else { return self.eventLoop.makeSucceededFuture([]) }
        guard self.counters.hasLibrary.load(ordering: .relaxed) else {
            let connected = self.counters.publisherLinked.load(ordering: .acquiring)
            return self.eventLoop.makeFailedFuture(connected ? RedisBrokerError.historyUnavailable : RedisBrokerError.notConnected)
        }
        let reads = queries.map { query in
            let key = RedisFunctionLibrary.streamKey(query.stream)
            let command = RedisCommand("FCALL", RedisFunctionLibrary.historyFunction, "1", key, query.stream, query.since ?? "")
            return self.send(command, key: key).flatMapThrowing { reply -> HistorySlice in
                let slices = try HistorySlice.parse(reply, queries: [query])
                guard let slice = slices.first else { throw RedisBrokerError.unexpectedReply("no history slice") }
                return slice
            }
        }
        return EventLoopFuture.whenAllSucceed(reads, on: self.eventLoop)
    }
}
