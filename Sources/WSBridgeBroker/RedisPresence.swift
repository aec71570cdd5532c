import NIOCore

/// One host holding a user, as the shared presence has it.
public struct PresenceHolding: Sendable, Equatable {
    /// The host's `node_id`.
    public var node: String
    /// The user's sessions on that host.
    public var sessions: Int

    public init(node: String, sessions: Int) {
        self.node = node
        self.sessions = sessions
    }
}

extension RedisBackedBroker {
    /// Writes this node's presence (``RedisFunctionLibrary``, `wsbridge_presence_update`): the session
    /// count of each listed user (0 removes it), after dropping all the node had when `replace`; renews
    /// the node's entry for `ttl`; `listens`: the node has apps that want online/offline events (while
    /// no live host does, none are published). Succeeds with whether the entry was alive before.
    public func writePresence(
        node: String, ttl: TimeAmount, replace: Bool, listens: Bool = false, entries: [(user: String, sessions: Int)]
    ) -> EventLoopFuture<Bool> {
        var arguments = [
            ByteBuffer(string: "FCALL"), ByteBuffer(string: RedisFunctionLibrary.presenceUpdateFunction),
            ByteBuffer(string: "1"), ByteBuffer(string: RedisFunctionLibrary.presenceKey), ByteBuffer(string: node), ByteBuffer(string: String(max(1, ttl.nanoseconds / 1_000_000))),
            ByteBuffer(string: replace ? "1" : "0"), ByteBuffer(string: listens ? "1" : "0"),
        ]
        arguments.reserveCapacity(arguments.count + 2 * entries.count)
        for entry in entries {
            arguments.append(ByteBuffer(string: entry.user))
            arguments.append(ByteBuffer(string: String(entry.sessions)))
        }
        return self.presenceCall(RedisCommand(arguments: arguments)).flatMapThrowing { reply in
            guard case .integer(let alive) = reply else {
                throw RedisBrokerError.unexpectedReply(RedisHandshake.describe(reply))
            }
            return alive == 1
        }
    }

    /// Who holds each user (`wsbridge_presence`, one round trip for the batch): per user, in the order
    /// asked, the live hosts with their session counts.
    public func presence(of users: [String]) -> EventLoopFuture<[[PresenceHolding]]> {
        guard !users.isEmpty else { return self.eventLoop.makeSucceededFuture([]) }
        var arguments = [
            ByteBuffer(string: "FCALL_RO"), ByteBuffer(string: RedisFunctionLibrary.presenceFunction), ByteBuffer(string: "1"),
            ByteBuffer(string: RedisFunctionLibrary.presenceKey),
        ]
        arguments.append(contentsOf: users.map { ByteBuffer(string: $0) })
        return self.presenceCall(RedisCommand(arguments: arguments)).flatMapThrowing { reply in
            try Self.parsePresence(reply, count: users.count)
        }
    }

    /// Removes this node's presence at once (`wsbridge_presence_leave`): a host that stops.
    public func leavePresence(node: String) -> EventLoopFuture<Void> {
        self.presenceCall(RedisCommand("FCALL", RedisFunctionLibrary.presenceLeaveFunction, "1", RedisFunctionLibrary.presenceKey, node)).map { _ in () }
    }

    /// The hosts whose presence entry is alive (`wsbridge_presence_hosts`).
    public func presenceHosts() -> EventLoopFuture<[String]> {
        let command = RedisCommand("FCALL_RO", RedisFunctionLibrary.presenceHostsFunction, "1", RedisFunctionLibrary.presenceKey)
        return self.presenceCall(command).flatMapThrowing { reply in
            guard case .array(let items?) = reply else {
                throw RedisBrokerError.unexpectedReply(RedisHandshake.describe(reply))
            }
            return items.compactMap(\.text)
        }
    }

    /// Sends a presence call once the link has the library; an error reply fails the future.
    private func presenceCall(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        guard self.isDurable else {
            return self.eventLoop.makeFailedFuture(self.isConnected ? RedisBrokerError.presenceUnavailable : .notConnected)
        }
        return self.send(command, key: RedisFunctionLibrary.presenceKey).flatMapThrowing { reply in
            if case .error(let message) = reply {
                throw RedisBrokerError.presenceRejected(message)
            }
            return reply
        }
    }

    static func parsePresence(_ reply: RESPValue, count: Int) throws -> [[PresenceHolding]] {
        guard case .array(let users?) = reply, users.count == count else {
            throw RedisBrokerError.unexpectedReply(RedisHandshake.describe(reply))
        }
        return try users.map { user in
            guard case .array(let items?) = user, items.count % 2 == 0 else {
                throw RedisBrokerError.unexpectedReply(RedisHandshake.describe(user))
            }
            return try stride(from: 0, to: items.count, by: 2).map { index in
                guard let node = items[index].text, case .integer(let sessions) = items[index + 1] else {
                    throw RedisBrokerError.unexpectedReply(RedisHandshake.describe(user))
                }
                return PresenceHolding(node: node, sessions: Int(sessions))
            }
        }
    }
}
