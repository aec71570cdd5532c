import NIOCore

/// Per-user routing on a Redis Cluster: each user's sharded channel is subscribed on the master of its
/// slot. The ``ShardedSubscriptions`` state machine decides what to send where; this performs it with a
/// ``RedisShardedLink`` per master, reads the topology it asks for, and retries when it asks.
///
/// A channel subscribed for the first time, or again after a lost connection, a migration or a failover,
/// is reported to `handler.usersSubscribed`: the node catches that user's stream up from the history, so
/// nothing published while the subscription was being made, or was gone, is lost.
extension RedisClusterCore {
    /// The users this node now holds (`added`) or no longer holds (`removed`): staged, applied once per
    /// event-loop tick.
    func route(added: [String], removed: [String]) {
        guard self.sharded != nil else { return }
        for user in removed {
            self.sharded!.unwant(RedisFunctionLibrary.userChannel(user, of: self.settings.channel))
        }
        for user in added {
            self.sharded!.want(RedisFunctionLibrary.userChannel(user, of: self.settings.channel))
        }
        guard !self.shardedFlushScheduled else { return }
        self.shardedFlushScheduled = true
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.eventLoop.execute {
            let core = loopBound.value
            core.shardedFlushScheduled = false
            guard core.sharded != nil, !core.isShutDown else { return }
            core.perform(core.sharded!.flush())
            core.counters.userChannels.store(core.sharded!.wantedCount, ordering: .relaxed)
        }
    }

    /// A topology was read: the subscriptions follow it.
    func shardedTopologyChanged(_ topology: ClusterTopology) {
        guard self.sharded != nil else { return }
        self.perform(self.sharded!.topologyChanged(topology))
    }

    func perform(_ actions: [ShardedSubscriptions.Action]) {
        guard !self.isShutDown else { return }
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        for action in actions {
            switch action {
            case .refreshTopology:
                self.refresh().whenFailure { _ in
                    let core = loopBound.value
                    guard core.sharded != nil else { return }
                    core.perform(core.sharded!.topologyRefreshFailed())
                }
            case .connect(let master):
                guard self.shardLinks[master] == nil else { continue }
                self.connectShardLink(master)
            case .disconnect(let master):
                _ = self.shardLinks.removeValue(forKey: master)?.stop()
            case .ssubscribe(let master, _, let channels):
                self.counters.userSubscriptionCommands.wrappingIncrement(ordering: .relaxed)
                self.shardLinks[master]?.send(Self.command("SSUBSCRIBE", channels))
            case .sunsubscribe(let master, _, let channels):
                self.counters.userSubscriptionCommands.wrappingIncrement(ordering: .relaxed)
                self.shardLinks[master]?.send(Self.command("SUNSUBSCRIBE", channels))
            case .retryLater:
                guard self.shardedRetry == nil else { continue }
                self.shardedRetry = self.eventLoop.scheduleTask(in: Self.degradedRefresh) {
                    let core = loopBound.value
                    core.shardedRetry = nil
                    guard core.sharded != nil else { return }
                    core.perform(core.sharded!.retry())
                }
            case .subscribed(let channels), .resubscribed(let channels):
                let users = channels.compactMap(self.user(of:))
                if !users.isEmpty {
                    self.handler?.usersSubscribed(users)
                }
            }
        }
    }

    private func connectShardLink(_ master: ClusterNode) {
        var logger = self.settings.logger
        logger[metadataKey: "wsb.redis_node"] = "\(master.address)"
        logger[metadataKey: "wsb.redis_role"] = "users"
        var connection = self.connection(to: .tcp(host: master.host, port: master.port), logger: logger)
        connection.address = nil
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        let handler = self.handler
        self.shardLinkGeneration += 1
        let generation = self.shardLinkGeneration
        // Events of a link that was replaced (lost, then made again) change nothing.
        func current(_ body: @escaping (RedisClusterCore) -> Void) -> () -> Void {
            {
                let core = loopBound.value
                guard core.sharded != nil, core.shardLinks[master]?.generation == generation else { return }
                body(core)
            }
        }
        let link = RedisShardedLink(
            master: master, generation: generation, connection: connection, channel: self.settings.channel,
            received: { batch in handler?.received(batch) },
            reply: { reply in
                current { core in core.perform(core.sharded!.received(reply, from: master)) }()
            },
            linked: current { core in core.perform(core.sharded!.connected(master)) },
            lost: current { core in
                // A new link is made if the master is still wanted (it may have failed over).
                _ = core.shardLinks.removeValue(forKey: master)?.stop()
                core.perform(core.sharded!.connectionLost(master))
            })
        self.shardLinks[master] = link
        link.start()
    }

    private static func command(_ name: String, _ channels: [String]) -> RedisCommand {
        RedisCommand(arguments: [ByteBuffer(string: name)] + channels.map { ByteBuffer(string: $0) })
    }

    /// `<channel>:{u:USER}` → `USER`.
    private func user(of channel: String) -> String? {
        let prefix = self.settings.channel + ":{u:"
        guard channel.hasPrefix(prefix), channel.hasSuffix("}") else { return nil }
        return String(channel.dropFirst(prefix.count).dropLast())
    }
}
