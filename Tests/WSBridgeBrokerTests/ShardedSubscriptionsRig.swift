import WSBridgeBroker
import XCTest

/// A ``ShardedSubscriptions`` with a pretend caller that performs actions the way a well-behaved driver
/// would: connects at once, answers every command with Redis' replies, one per channel, in order.
struct SubscriptionsRig {
    var machine: ShardedSubscriptions

    init(maxChannelsPerCommand: Int = 1000) {
        self.machine = ShardedSubscriptions(maxChannelsPerCommand: maxChannelsPerCommand)
    }

    /// The captured fresh cluster: 7101 serves 0-5460, 7102 5461-10922, 7103 10923-16383.
    static func created() throws -> ClusterTopology {
        try ClusterTopology(shardsReply: ClusterShardsCaptures.created, askedHost: "127.0.0.1")
    }

    /// Wants `channels` and flushes.
    mutating func want(_ channels: String...) -> [ShardedSubscriptions.Action] {
        channels.forEach { self.machine.want($0) }
        return self.machine.flush()
    }

    /// Unwants `channels` and flushes.
    mutating func unwant(_ channels: String...) -> [ShardedSubscriptions.Action] {
        channels.forEach { self.machine.unwant($0) }
        return self.machine.flush()
    }

    /// Everything `actions` asks, performed successfully, and everything that follows, until the machine
    /// asks for nothing more but notifications, retries, refreshes and disconnects (at most 100 rounds).
    /// Returns every action seen, `actions` included.
    mutating func perform(_ actions: [ShardedSubscriptions.Action]) -> [ShardedSubscriptions.Action] {
        var seen = actions
        var queue = actions
        for _ in 0..<100 where !queue.isEmpty {
            var next: [ShardedSubscriptions.Action] = []
            for action in queue {
                switch action {
                case .connect(let master):
                    next += self.machine.connected(master)
                case .ssubscribe(let master, _, let channels):
                    for channel in channels { next += self.machine.received(.ssubscribe(channel), from: master) }
                case .sunsubscribe(let master, _, let channels):
                    for channel in channels { next += self.machine.received(.sunsubscribe(channel), from: master) }
                case .refreshTopology, .disconnect, .retryLater, .subscribed, .resubscribed:
                    break
                }
            }
            seen += next
            queue = next
        }
        return seen
    }

    /// Wants `channels` on the captured cluster and performs everything until they are subscribed.
    mutating func subscribed(_ channels: String..., topology: ClusterTopology? = nil) throws -> [ShardedSubscriptions
        .Action]
    {
        channels.forEach { self.machine.want($0) }
        var actions = self.machine.flush()
        if actions.contains(.refreshTopology) {
            actions += self.machine.topologyChanged(try topology ?? Self.created())
        }
        return self.perform(actions)
    }
}

extension Array where Element == ShardedSubscriptions.Action {
    /// The `SSUBSCRIBE`s among the actions.
    var ssubscribes: [(ClusterNode, HashSlot, [String])] {
        self.compactMap { action -> (ClusterNode, HashSlot, [String])? in
            if case .ssubscribe(let master, let slot, let channels) = action { return (master, slot, channels) }
            return nil
        }
    }

    /// The channels reported subscribed for the first time.
    var firstSubscribed: [String] {
        self.flatMap { action -> [String] in
            if case .subscribed(let channels) = action { return channels }
            return []
        }
    }

    /// The channels reported subscribed again after a loss.
    var resubscribed: [String] {
        self.flatMap { action -> [String] in
            if case .resubscribed(let channels) = action { return channels }
            return []
        }
    }
}

/// Slot `number` (which must be one).
func slot(_ number: Int) -> HashSlot {
    HashSlot(number)!
}
