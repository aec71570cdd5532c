import NIOCore

/// Which sharded pub/sub channels (`SSUBSCRIBE`) a host wants on a Redis Cluster, and what to send to
/// which master to get there. A state machine with no I/O: every input returns the actions to perform,
/// in order; the caller owns the connections, the timers and the backoff.
///
/// ```
///  want/unwant(channel)   staged; applied by flush(), once per tick: a user who leaves and comes
///                         back within it costs nothing
///  per slot     wanted ──(owner known, link ready)──▶ SSUBSCRIBE [c1 c2 …] ──(a confirm per channel)──▶ subscribed
///               subscribed, no longer wanted ──────▶ SUNSUBSCRIBE [c …] ──(a reply per channel)──▶ gone
///  per master   needed ──▶ connect ──▶ connected(M) ──▶ commands …
///               connectionLost(M) ──▶ its channels pending; refreshTopology; connect again (caller's backoff)
///  replies      sunsubscribe push for a wanted channel (slot migrated) ──▶ refreshTopology, then where it went
///               MOVED/ASK ──▶ refreshTopology        other errors (CLUSTERDOWN…) ──▶ retryLater, then retry()
/// ```
///
/// - **Batching.** Channels are grouped by hash slot (Redis refuses a cross-slot `SSUBSCRIBE` with
///   `CROSSSLOT`): each slot has at most one `SSUBSCRIBE` and one `SUNSUBSCRIBE` in flight, each with up to
///   ``maxChannelsPerCommand`` channels; what is wanted meanwhile goes in the slot's next command, sent as
///   soon as the previous one is answered. 10,000 users arriving at once cost one command per slot they
///   hash to — name channels so that they share slots (a `{partition}` hash tag) to bound that number.
/// - **Replies.** RESP2 answers a subscriber's commands in order, one reply per channel (or one error per
///   command), with pushes (`smessage`, `sunsubscribe` when a slot moves away) in between. Each link keeps
///   its commands in flight in order; a reply that matches none of them means the link is out of step
///   with the server, and the link is closed and opened again. So ``received(_:from:)`` takes what the
///   connection reads (``Reply`` picks it out) but nothing answering other commands sent on it: a
///   health check's `PING` answers `[pong, ""]`, which is not a ``Reply``; its errors must not be fed.
/// - **Losses.** A channel that was subscribed and then lost (its connection dropped, its slot moved) is
///   reported as ``Action/resubscribed(_:)`` once it is subscribed again: whatever was published on it
///   meanwhile did not arrive, so the caller catches up from the history.
/// - **Masters.** A connection is opened to each master that owns the slot of a wanted channel, and
///   closed (``Action/disconnect(_:)``) as soon as none does — which also drops its subscriptions, with
///   no `SUNSUBSCRIBE`. Topology refreshes are requested at most one at a time; the caller spaces them
///   (a refresh that answers with a stale topology leads to another `MOVED`, then another refresh).
public struct ShardedSubscriptions: Sendable {
    public enum Action: Sendable, Hashable {
        /// Read the topology (`CLUSTER SHARDS` on any reachable node); answer with ``topologyChanged(_:)``
        /// or ``topologyRefreshFailed()``.
        case refreshTopology
        /// Open a subscriber connection to this master: the first attempt at once, later ones after the
        /// caller's backoff. Answer with ``connected(_:)`` or ``connectionLost(_:)``.
        case connect(ClusterNode)
        /// Close the connection to this master, or stop trying to open it: nothing wanted is there.
        case disconnect(ClusterNode)
        /// Send `SSUBSCRIBE` with these channels, which all hash to `slot`, on the master's connection.
        case ssubscribe(ClusterNode, HashSlot, [String])
        /// Send `SUNSUBSCRIBE` with these channels, which all hash to `slot`, on the master's connection.
        case sunsubscribe(ClusterNode, HashSlot, [String])
        /// Something failed for a while (a command refused with `CLUSTERDOWN`, `TRYAGAIN`…, a topology
        /// that could not be read or leaves wanted slots without a master): call ``retry()`` after a
        /// short delay.
        case retryLater
        /// These channels are subscribed for the first time: their messages arrive from now on.
        case subscribed([String])
        /// These channels had been subscribed, were lost, and are subscribed again: what was published on
        /// them in between was not received.
        case resubscribed([String])
    }

    /// Why a slot waits instead of being reconciled.
    enum Hold: Sendable {
        /// For a new topology: a redirection, a slot that moved away, a slot without a master.
        case topology
        /// For ``retry()``: an error reply that should pass (`CLUSTERDOWN`, `TRYAGAIN`, `LOADING`…).
        case retry
    }

    /// The channels of one hash slot, and where they stand. `subscribed`, `subscribing` and
    /// `unsubscribing` are on `master`; `generation` changes whenever they are abandoned, so that replies
    /// to commands sent before are recognised as stale.
    struct SlotGroup: Sendable {
        var desired: Set<String> = []
        var master: ClusterNode?
        var subscribed: Set<String> = []
        var subscribing: Set<String> = []
        var unsubscribing: Set<String> = []
        var hold: Hold?
        var generation: UInt64 = 0

        var isEmpty: Bool {
            self.desired.isEmpty && self.subscribed.isEmpty && self.subscribing.isEmpty && self.unsubscribing.isEmpty
        }
    }

    /// A command sent on a link and not yet wholly answered. Redis answers a command's channels in the
    /// order they were sent: `answered` counts them.
    struct Command: Sendable {
        var subscribe: Bool
        var slot: HashSlot
        var generation: UInt64
        var channels: [String]
        var answered = 0

        var isAnswered: Bool { self.answered == self.channels.count }
    }

    /// One master's connection: `ready` once ``connected(_:)`` came, then its commands in flight, in order.
    struct Link: Sendable {
        var ready = false
        var commands = CircularBuffer<Command>()
    }

    /// The most channels in one `SSUBSCRIBE` or `SUNSUBSCRIBE`.
    public let maxChannelsPerCommand: Int
    var topology: ClusterTopology?
    var staged: [String: Bool] = [:]
    var groups: [HashSlot: SlotGroup] = [:]
    var links: [ClusterNode: Link] = [:]
    /// Channels subscribed once and lost since, still wanted.
    var lost: Set<String> = []
    /// A ``Action/refreshTopology`` is out, not yet answered.
    var refreshing = false
    var nextGeneration: UInt64 = 1

    /// - Parameter maxChannelsPerCommand: the most channels in one command (at least 1). Redis takes
    ///   10,000 in one `SSUBSCRIBE` (measured), but a long command holds its master's event loop.
    public init(maxChannelsPerCommand: Int = 1000) {
        self.maxChannelsPerCommand = max(1, maxChannelsPerCommand)
    }

    // MARK: What is wanted

    /// The host wants `channel` (a user's first session arrived). Takes effect at the next ``flush()``.
    public mutating func want(_ channel: String) {
        self.staged[channel] = true
    }

    /// The host no longer wants `channel` (a user's last session left). Takes effect at the next
    /// ``flush()``; a ``want(_:)`` of the same channel before it cancels it.
    public mutating func unwant(_ channel: String) {
        self.staged[channel] = false
    }

    /// Applies what was wanted and unwanted since the last flush, as one batch.
    public mutating func flush() -> [Action] {
        var actions: [Action] = []
        var touched: Set<HashSlot> = []
        for (channel, wanted) in self.staged {
            let slot = HashSlot(key: channel)
            if wanted {
                guard self.groups[slot, default: SlotGroup()].desired.insert(channel).inserted else { continue }
            } else {
                guard self.groups[slot]?.desired.remove(channel) != nil else { continue }
                self.lost.remove(channel)
            }
            touched.insert(slot)
        }
        self.staged.removeAll(keepingCapacity: true)
        if !touched.isEmpty {
            // First: a master left without wanted channels is closed, not sent SUNSUBSCRIBEs.
            self.closeUnneededLinks(&actions)
        }
        for slot in touched.sorted() {
            self.reconcile(slot, &actions)
        }
        return actions
    }

    // MARK: Topology

    /// A topology was read (the first, or a refresh). Channels whose slot has another master now are
    /// subscribed there (and reported ``Action/resubscribed(_:)`` if they were subscribed before);
    /// masters no longer needed are disconnected; slots waiting for a retry are tried again too.
    public mutating func topologyChanged(_ topology: ClusterTopology) -> [Action] {
        var actions: [Action] = []
        self.topology = topology
        self.refreshing = false
        for slot in self.groups.keys {
            self.groups[slot]?.hold = nil
        }
        self.closeUnneededLinks(&actions)
        for slot in self.groups.keys.sorted() {
            self.reconcile(slot, &actions)
        }
        if self.refreshing {
            // Some wanted slot has no master in the topology just read: reading it again at once would
            // spin; ask for it after the retry delay instead.
            self.refreshing = false
            actions.removeAll { $0 == .refreshTopology }
            Self.append(.retryLater, to: &actions)
        }
        return actions
    }

    /// The topology could not be read (no seed answered, a malformed reply): call ``retry()`` later.
    public mutating func topologyRefreshFailed() -> [Action] {
        self.refreshing = false
        return [.retryLater]
    }

    /// After ``Action/retryLater``: slots held by an error are tried again, and the topology is read
    /// again if something waits for it.
    public mutating func retry() -> [Action] {
        var actions: [Action] = []
        var waitingForTopology = self.topology == nil && !self.groups.isEmpty
        for (slot, group) in self.groups {
            switch group.hold {
            case .retry?: self.groups[slot]?.hold = nil
            case .topology?: waitingForTopology = true
            case nil: break
            }
        }
        if waitingForTopology {
            self.requestRefresh(&actions)
        }
        for slot in self.groups.keys.sorted() {
            self.reconcile(slot, &actions)
        }
        return actions
    }

    // MARK: Connections

    /// The connection to `master` is up (handshake done): its pending channels are subscribed.
    public mutating func connected(_ master: ClusterNode) -> [Action] {
        guard self.links[master] != nil else { return [.disconnect(master)] }
        self.links[master]?.ready = true
        var actions: [Action] = []
        for slot in self.groups.keys.sorted() where self.topology?.master(for: slot) == master {
            self.reconcile(slot, &actions)
        }
        return actions
    }

    /// The connection to `master` dropped, or could not be opened. Its channels are pending again; it is
    /// connected again (``Action/connect(_:)``, after the caller's backoff) if still needed, and the
    /// topology is read again in case the master failed over.
    public mutating func connectionLost(_ master: ClusterNode) -> [Action] {
        guard self.links.removeValue(forKey: master) != nil else { return [] }
        var actions: [Action] = []
        self.requestRefresh(&actions)
        for slot in self.groups.keys.sorted() where self.groups[slot]?.master == master {
            self.abandon(slot)
        }
        for slot in self.groups.keys.sorted() where self.topology?.master(for: slot) == master {
            self.reconcile(slot, &actions)
        }
        return actions
    }

    // MARK: State

    /// Channels wanted (as of the last flush).
    public var wantedCount: Int { self.groups.values.reduce(0) { $0 + $1.desired.count } }
    /// Channels subscribed and confirmed, wanted or not yet unsubscribed.
    public var subscribedCount: Int { self.groups.values.reduce(0) { $0 + $1.subscribed.count } }
    /// Whether `channel` is subscribed and confirmed.
    public func isSubscribed(_ channel: String) -> Bool {
        self.groups[HashSlot(key: channel)]?.subscribed.contains(channel) ?? false
    }
    /// The masters with a connection, open or being opened.
    public var linkedMasters: [ClusterNode] { self.links.keys.sorted() }
}
