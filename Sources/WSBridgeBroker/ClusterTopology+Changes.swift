extension ClusterTopology {
    /// A range of slots whose master differs between two topologies.
    public struct SlotMove: Sendable, Equatable, CustomStringConvertible {
        public var slots: ClosedRange<HashSlot>
        /// The master before; nil when the slots were not served.
        public var from: ClusterNode?
        /// The master now; nil when the slots are no longer served.
        public var to: ClusterNode?

        public init(slots: ClosedRange<HashSlot>, from: ClusterNode?, to: ClusterNode?) {
            self.slots = slots
            self.from = from
            self.to = to
        }

        public var description: String {
            let from = self.from?.address ?? "none"
            let to = self.to?.address ?? "none"
            return "\(self.slots.lowerBound)-\(self.slots.upperBound): \(from) → \(to)"
        }
    }

    /// What differs between two topologies for whoever sends commands or subscriptions to masters.
    /// Replicas are not compared: they receive nothing.
    public struct Changes: Sendable, Equatable {
        /// Masters that serve slots now and did not before, in address order.
        public var mastersAdded: [ClusterNode]
        /// Masters that served slots before and no longer do (failed over, emptied by resharding, gone),
        /// in address order.
        public var mastersRemoved: [ClusterNode]
        /// The slot ranges whose master differs, in slot order; each range is as long as possible.
        public var movedSlots: [SlotMove]

        public init(mastersAdded: [ClusterNode] = [], mastersRemoved: [ClusterNode] = [], movedSlots: [SlotMove] = []) {
            self.mastersAdded = mastersAdded
            self.mastersRemoved = mastersRemoved
            self.movedSlots = movedSlots
        }

        /// Whether every slot has the same master in both.
        public var isEmpty: Bool { self.movedSlots.isEmpty && self.mastersAdded.isEmpty && self.mastersRemoved.isEmpty }

        /// How many slots changed master.
        public var movedSlotCount: Int {
            self.movedSlots.reduce(0) { $0 + Int($1.slots.upperBound.rawValue) - Int($1.slots.lowerBound.rawValue) + 1 }
        }
    }

    /// What changed from `old` to this topology. Walks both range lists once: O(ranges), not O(slots).
    public func changes(since old: ClusterTopology) -> Changes {
        let before = Set(old.shards.map(\.master))
        let now = Set(self.shards.map(\.master))
        var moves: [SlotMove] = []
        for (range, from, to) in Self.segments(old, self) where from != to {
            if let last = moves.last, last.from == from, last.to == to,
                Int(last.slots.upperBound.rawValue) + 1 == Int(range.lowerBound.rawValue)
            {
                moves[moves.count - 1].slots = last.slots.lowerBound...range.upperBound
            } else {
                moves.append(SlotMove(slots: range, from: from, to: to))
            }
        }
        return Changes(
            mastersAdded: now.subtracting(before).sorted(), mastersRemoved: before.subtracting(now).sorted(),
            movedSlots: moves)
    }

    /// The slot space cut at every range boundary of either topology, with each piece's master in both.
    private static func segments(
        _ old: ClusterTopology, _ new: ClusterTopology
    ) -> [(ClosedRange<HashSlot>, ClusterNode?, ClusterNode?)] {
        var cuts = Set([0, HashSlot.count])
        for range in old.ranges + new.ranges {
            cuts.insert(Int(range.lower.rawValue))
            cuts.insert(Int(range.upper.rawValue) + 1)
        }
        let bounds = cuts.sorted()
        var pieces: [(ClosedRange<HashSlot>, ClusterNode?, ClusterNode?)] = []
        for (start, next) in zip(bounds, bounds.dropFirst()) {
            guard let lower = HashSlot(start), let upper = HashSlot(next - 1) else { continue }
            pieces.append((lower...upper, old.master(for: lower), new.master(for: lower)))
        }
        return pieces
    }
}
