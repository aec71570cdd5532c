extension ShardedSubscriptions {
    /// What a subscriber connection reads that concerns its subscriptions (RESP2).
    ///
    /// ```
    ///  *3 $10 ssubscribe $<channel> :<count>      → .ssubscribe(channel)     one per channel of an SSUBSCRIBE
    ///  *3 $12 sunsubscribe $<channel> :<count>    → .sunsubscribe(channel)   one per channel of a SUNSUBSCRIBE,
    ///                                                                         or a push: the slot moved away
    ///  -MOVED 5797 127.0.0.1:7102                 → .error("MOVED …")        one per refused command
    ///  *3 $8 smessage …, *2 $4 pong …             → nil: not a reply to a subscription command
    /// ```
    public enum Reply: Sendable, Hashable {
        case ssubscribe(String)
        case sunsubscribe(String)
        case error(String)

        /// The reply in `value`, or nil when `value` is something else (a message, a pong).
        public init?(_ value: RESPValue) {
            switch value {
            case .error(let message):
                self = .error(message)
            case .array(let elements?) where elements.count == 3:
                guard let kind = elements[0].text, let channel = elements[1].text else { return nil }
                switch kind {
                case "ssubscribe": self = .ssubscribe(channel)
                case "sunsubscribe": self = .sunsubscribe(channel)
                default: return nil
                }
            default:
                return nil
            }
        }
    }

    /// A reply read on `master`'s connection, in the order read.
    public mutating func received(_ reply: Reply, from master: ClusterNode) -> [Action] {
        guard self.links[master]?.ready == true else { return [] }
        var actions: [Action] = []
        switch reply {
        case .ssubscribe(let channel):
            guard let command = self.answer(channel, subscribe: true, on: master) else {
                return self.resetLink(master)
            }
            self.confirm(channel, slot: command.slot, generation: command.generation, on: master)
            if command.isAnswered {
                self.complete(command, on: master, &actions)
            }
        case .sunsubscribe(let channel):
            if let command = self.answer(channel, subscribe: false, on: master) {
                if self.isCurrent(command.slot, command.generation, on: master) {
                    self.groups[command.slot]?.unsubscribing.remove(channel)
                    self.groups[command.slot]?.subscribed.remove(channel)
                }
                if command.isAnswered {
                    self.complete(command, on: master, &actions)
                }
            } else {
                self.pushedOut(channel, from: master, &actions)
            }
        case .error(let message):
            guard let command = self.links[master]?.commands.popFirst() else { return self.resetLink(master) }
            self.refused(command, message, on: master, &actions)
        }
        return actions
    }

    /// Counts one channel's reply to the oldest command on the link when it is of that kind and that
    /// channel is the next it named; returns the command as it stands after.
    private mutating func answer(_ channel: String, subscribe: Bool, on master: ClusterNode) -> Command? {
        // Element by element, never the link's buffer itself: a second reference to it would make the
        // mutation below copy the whole buffer, once per reply.
        guard var command = self.links[master]?.commands.first, let head = self.links[master]?.commands.startIndex,
            command.subscribe == subscribe, !command.isAnswered, command.channels[command.answered] == channel
        else {
            return nil
        }
        command.answered += 1
        if command.isAnswered {
            _ = self.links[master]?.commands.popFirst()
        } else {
            self.links[master]?.commands[head] = command
        }
        return command
    }

    /// The slot's sets are changed in place (`self.groups[slot]?…`): a copy of the group would copy them.
    private mutating func confirm(_ channel: String, slot: HashSlot, generation: UInt64, on master: ClusterNode) {
        guard self.isCurrent(slot, generation, on: master), self.groups[slot]?.subscribing.remove(channel) != nil
        else { return }
        self.groups[slot]?.subscribed.insert(channel)
    }

    /// Whether a command of `generation` on `master` is still the slot's (not abandoned since). Reads
    /// the group without keeping a copy, so that the caller can change its sets in place.
    private func isCurrent(_ slot: HashSlot, _ generation: UInt64, on master: ClusterNode) -> Bool {
        self.groups[slot]?.generation == generation && self.groups[slot]?.master == master
    }

    /// A command is wholly answered: tells which channels went live, and sends the slot's next command.
    private mutating func complete(_ command: Command, on master: ClusterNode, _ actions: inout [Action]) {
        if command.subscribe, let group = self.groups[command.slot], group.generation == command.generation {
            let live = command.channels.filter { group.subscribed.contains($0) && group.desired.contains($0) }
            let again = live.filter { self.lost.remove($0) != nil }
            let first = live.filter { !again.contains($0) }
            if !first.isEmpty { actions.append(.subscribed(first)) }
            if !again.isEmpty { actions.append(.resubscribed(again)) }
        }
        self.reconcile(command.slot, &actions)
    }

    /// The server dropped a channel nobody asked it to drop: its slot moved to another master.
    private mutating func pushedOut(_ channel: String, from master: ClusterNode, _ actions: inout [Action]) {
        let slot = HashSlot(key: channel)
        guard self.groups[slot]?.master == master, self.groups[slot]?.subscribed.remove(channel) != nil else {
            return
        }
        if self.groups[slot]?.desired.contains(channel) == true {
            self.lost.insert(channel)
            self.groups[slot]?.hold = .topology
            self.requestRefresh(&actions)
        } else {
            self.reconcile(slot, &actions)
        }
    }

    /// An error reply to `command`: a redirection waits for a new topology, anything else for ``retry()``.
    /// A refused `SUNSUBSCRIBE` with `MOVED` means the master lost the slot, and the subscriptions with it.
    private mutating func refused(
        _ command: Command, _ message: String, on master: ClusterNode, _ actions: inout [Action]
    ) {
        let redirected = (try? ClusterRedirect.parse(message)).flatMap { $0 } != nil
        guard var group = self.groups[command.slot], group.generation == command.generation, group.master == master
        else { return }
        if command.subscribe {
            group.subscribing.subtract(command.channels)
        } else {
            group.unsubscribing.subtract(command.channels)
            if redirected {
                group.subscribed.subtract(command.channels)
            }
        }
        group.hold = redirected ? .topology : .retry
        self.groups[command.slot] = group
        if redirected {
            self.requestRefresh(&actions)
        } else {
            Self.append(.retryLater, to: &actions)
        }
    }

    /// The link answered out of step with the commands sent on it: closes it and opens it again.
    private mutating func resetLink(_ master: ClusterNode) -> [Action] {
        [.disconnect(master)] + self.connectionLost(master)
    }
}
