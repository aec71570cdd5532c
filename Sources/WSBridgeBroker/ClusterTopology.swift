/// Which master serves each of the 16384 hash slots of a Redis Cluster, and its replicas: read from a
/// `CLUSTER SHARDS` reply (Redis 7.0 and newer, ``init(shardsReply:askedHost:)``) or a `CLUSTER SLOTS`
/// reply (older servers, ``init(slotsReply:askedHost:)``), both in RESP2.
///
/// ```
///  shards (sorted by their first slot)            lookup: master(for: slot) — binary search over the
///   [0-5460, 10923-11022] master 127.0.0.1:7101           ranges, nil for a slot no shard serves
///                         replicas 127.0.0.1:7106
///   [5461-10922]          master 127.0.0.1:7102   changes(since:) — masters added and removed, slot
///   [11023-16383]         master 127.0.0.1:7103           ranges whose master differs
/// ```
///
/// - Only shards that serve slots are kept: a master without slots (a failed master after its replica
///   took over, a node added but not yet given slots) is left out, so ``masters`` are the nodes that
///   commands and subscriptions can be sent to.
/// - A master keeps serving its slots in the topology while it is failing (its shard says
///   `health: fail` until a replica is promoted): connecting to it fails, and a later topology has the
///   new master. Replicas are kept only when online, as Redis advises for sending them traffic (7.0
///   says `loading` while a replica's replication offset is 0: in a new cluster until the first write).
/// - A reply is refused whole with a ``ClusterReplyError`` saying what was wrong: a missing or mistyped
///   field, a slot outside `0...16383`, a shard with slots but not exactly one master, two shards
///   claiming one slot, a master with no address.
/// - Slots no shard serves are allowed (a cluster being set up, or one that lost a master without a
///   replica): ``coveredSlotCount`` tells how many are served.
public struct ClusterTopology: Sendable, Equatable {
    /// One master, the replicas that follow it, and the slots it serves.
    public struct Shard: Sendable, Equatable {
        public var master: ClusterNode
        public var replicas: [ClusterNode]
        /// In a topology: sorted, not overlapping, adjacent ranges merged.
        public var slots: [ClosedRange<HashSlot>]

        public init(master: ClusterNode, replicas: [ClusterNode] = [], slots: [ClosedRange<HashSlot>]) {
            self.master = master
            self.replicas = replicas
            self.slots = slots
        }
    }

    /// A slot range and the index of its shard in ``shards``.
    struct SlotRange: Sendable, Equatable {
        var lower: HashSlot
        var upper: HashSlot
        var shard: Int
    }

    /// The shards that serve slots, sorted by their first slot.
    public let shards: [Shard]
    /// Every served range, sorted by its lower bound.
    let ranges: [SlotRange]

    /// A topology of these shards. Shards without slots are dropped, each shard's ranges are sorted
    /// and merged; throws ``ClusterReplyError/overlappingSlots(_:)`` when two ranges share a slot.
    /// Shards with the same master are joined into one (their slots and replicas together).
    public init(shards: [Shard]) throws(ClusterReplyError) {
        var byMaster: [ClusterNode: Int] = [:]
        var joined: [Shard] = []
        for shard in shards {
            if let index = byMaster[shard.master] {
                joined[index].slots += shard.slots
                joined[index].replicas += shard.replicas.filter { !joined[index].replicas.contains($0) }
            } else {
                byMaster[shard.master] = joined.count
                joined.append(shard)
            }
        }
        var kept = joined.compactMap { shard -> Shard? in
            var shard = shard
            shard.slots = Self.merged(shard.slots)
            return shard.slots.isEmpty ? nil : shard
        }
        kept.sort { $0.slots[0].lowerBound < $1.slots[0].lowerBound }
        var ranges: [SlotRange] = []
        for (index, shard) in kept.enumerated() {
            for range in shard.slots {
                ranges.append(SlotRange(lower: range.lowerBound, upper: range.upperBound, shard: index))
            }
        }
        ranges.sort { $0.lower < $1.lower }
        for (previous, next) in zip(ranges, ranges.dropFirst()) where next.lower <= previous.upper {
            throw .overlappingSlots(
                "slot \(next.lower) is served by \(kept[previous.shard].master) and by \(kept[next.shard].master)")
        }
        self.shards = kept
        self.ranges = ranges
    }

    /// Sorted ranges, overlapping or adjacent ones joined.
    private static func merged(_ slots: [ClosedRange<HashSlot>]) -> [ClosedRange<HashSlot>] {
        var result: [ClosedRange<HashSlot>] = []
        for range in slots.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, Int(range.lowerBound.rawValue) <= Int(last.upperBound.rawValue) + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// The master serving `slot`, or nil when no shard serves it.
    public func master(for slot: HashSlot) -> ClusterNode? {
        self.shardIndex(for: slot).map { self.shards[$0].master }
    }

    /// The master serving the slot of `key` (a key or a sharded channel name).
    public func master(forKey key: String) -> ClusterNode? {
        self.master(for: HashSlot(key: key))
    }

    func shardIndex(for slot: HashSlot) -> Int? {
        var low = 0
        var high = self.ranges.count
        while low < high {
            let middle = (low + high) / 2
            if self.ranges[middle].upper < slot {
                low = middle + 1
            } else {
                high = middle
            }
        }
        guard low < self.ranges.count, self.ranges[low].lower <= slot else { return nil }
        return self.ranges[low].shard
    }

    /// The masters that serve slots, in address order.
    public var masters: [ClusterNode] { self.shards.map(\.master).sorted() }

    /// How many of the 16384 slots some shard serves.
    public var coveredSlotCount: Int {
        self.ranges.reduce(0) { $0 + Int($1.upper.rawValue) - Int($1.lower.rawValue) + 1 }
    }

    /// Whether every slot is served (`cluster_state:ok` needs this unless
    /// `cluster-require-full-coverage no`).
    public var coversAllSlots: Bool { self.coveredSlotCount == HashSlot.count }
}
