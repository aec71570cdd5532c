extension ShardedSubscriptions {
    /// Brings one slot towards what is wanted: abandons what sits on a master that no longer owns it,
    /// opens the owner's connection if needed, and sends the slot's next `SSUBSCRIBE` and `SUNSUBSCRIBE`
    /// when none is in flight. Drops the slot's group once it holds nothing.
    mutating func reconcile(_ slot: HashSlot, _ actions: inout [Action]) {
        guard var group = self.groups[slot] else { return }
        defer {
            if let group = self.groups[slot], group.isEmpty, group.hold == nil {
                self.groups[slot] = nil
            }
        }
        guard group.hold == nil else { return }
        guard let topology = self.topology else {
            if !group.desired.isEmpty { self.requestRefresh(&actions) }
            return
        }
        let owner = topology.master(for: slot)
        if let current = group.master, current != owner {
            self.abandon(slot)
            group = self.groups[slot] ?? group
        }
        guard let owner else {
            if !group.desired.isEmpty {
                self.groups[slot]?.hold = .topology
                self.requestRefresh(&actions)
            }
            return
        }
        let toSubscribe = group.desired.subtracting(group.subscribed).subtracting(group.subscribing)
            .subtracting(group.unsubscribing)
        let toUnsubscribe = group.subscribed.subtracting(group.desired).subtracting(group.unsubscribing)
        guard !toSubscribe.isEmpty || !toUnsubscribe.isEmpty else { return }
        // Only the flag: a copy of the link would make every command appended below copy its buffer.
        guard let ready = self.links[owner]?.ready else {
            if !toSubscribe.isEmpty {
                self.links[owner] = Link()
                actions.append(.connect(owner))
            }
            return
        }
        guard ready else { return }
        if group.subscribing.isEmpty, !toSubscribe.isEmpty {
            let batch = Array(toSubscribe.sorted().prefix(self.maxChannelsPerCommand))
            group.subscribing.formUnion(batch)
            self.send(subscribe: true, batch, slot: slot, to: owner, group: &group, &actions)
        }
        if group.unsubscribing.isEmpty, !toUnsubscribe.isEmpty {
            let batch = Array(toUnsubscribe.sorted().prefix(self.maxChannelsPerCommand))
            group.unsubscribing.formUnion(batch)
            self.send(subscribe: false, batch, slot: slot, to: owner, group: &group, &actions)
        }
        self.groups[slot] = group
    }

    private mutating func send(
        subscribe: Bool, _ channels: [String], slot: HashSlot, to master: ClusterNode, group: inout SlotGroup,
        _ actions: inout [Action]
    ) {
        group.master = master
        let command = Command(subscribe: subscribe, slot: slot, generation: group.generation, channels: channels)
        self.links[master]?.commands.append(command)
        actions.append(subscribe ? .ssubscribe(master, slot, channels) : .sunsubscribe(master, slot, channels))
    }

    /// Forgets where the slot's channels stood on their master (it failed, lost the slot, or its
    /// connection dropped): the wanted ones that were subscribed are lost, replies to earlier commands
    /// become stale.
    mutating func abandon(_ slot: HashSlot) {
        guard var group = self.groups[slot] else { return }
        self.lost.formUnion(group.subscribed.intersection(group.desired))
        group.subscribed = []
        group.subscribing = []
        group.unsubscribing = []
        group.master = nil
        group.generation = self.nextGeneration
        self.nextGeneration += 1
        self.groups[slot] = group
    }

    /// Disconnects every master that owns no wanted channel's slot (its subscriptions go with the
    /// connection).
    mutating func closeUnneededLinks(_ actions: inout [Action]) {
        guard !self.links.isEmpty else { return }
        var needed: Set<ClusterNode> = []
        if let topology = self.topology {
            for (slot, group) in self.groups where !group.desired.isEmpty {
                if let owner = topology.master(for: slot) { needed.insert(owner) }
            }
        }
        for master in self.links.keys.sorted() where !needed.contains(master) {
            self.links[master] = nil
            actions.append(.disconnect(master))
            for slot in self.groups.keys.sorted() where self.groups[slot]?.master == master {
                self.abandon(slot)
                if let group = self.groups[slot], group.isEmpty, group.hold == nil {
                    self.groups[slot] = nil
                }
            }
        }
    }

    /// Asks for the topology unless a request is already out.
    mutating func requestRefresh(_ actions: inout [Action]) {
        guard !self.refreshing else { return }
        self.refreshing = true
        actions.append(.refreshTopology)
    }

    static func append(_ action: Action, to actions: inout [Action]) {
        if !actions.contains(action) { actions.append(action) }
    }
}
