/// A Redis Cluster reply (`CLUSTER SHARDS`, `CLUSTER SLOTS`, a `MOVED`/`ASK` error) that cannot be read:
/// what was wrong, and where in the reply. Compare with the static members' results
/// (`error == .malformed("…")` compares the whole text; most callers only log ``description``).
///
/// The reply is refused whole: a topology half-read would send commands to the wrong node.
public struct ClusterReplyError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case malformed
        case noMaster
        case overlappingSlots
        case unusableEndpoint
        case badRedirect
    }

    private let code: Code
    /// What exactly was wrong, and where (for example `shard 2, node 1: "port" is not an integer`).
    public let detail: String

    private init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The reply does not have the documented shape: a missing field, a wrong type, a number out of
    /// range.
    public static func malformed(_ detail: String) -> ClusterReplyError {
        ClusterReplyError(.malformed, detail)
    }

    /// A shard serves slots but names no master, or more than one.
    public static func noMaster(_ detail: String) -> ClusterReplyError {
        ClusterReplyError(.noMaster, detail)
    }

    /// Two shards claim the same slot.
    public static func overlappingSlots(_ detail: String) -> ClusterReplyError {
        ClusterReplyError(.overlappingSlots, detail)
    }

    /// A master's address cannot be known: its endpoint is `?` (no hostname announced) and the reply
    /// gives no IP either.
    public static func unusableEndpoint(_ detail: String) -> ClusterReplyError {
        ClusterReplyError(.unusableEndpoint, detail)
    }

    /// An error reply that starts with `MOVED` or `ASK` but is not `MOVED <slot> <host>:<port>`.
    public static func badRedirect(_ detail: String) -> ClusterReplyError {
        ClusterReplyError(.badRedirect, detail)
    }

    public var description: String {
        switch self.code {
        case .malformed: "malformed cluster topology reply: \(self.detail)"
        case .noMaster: "cluster topology reply without a single master for a shard: \(self.detail)"
        case .overlappingSlots: "cluster topology reply with a slot claimed twice: \(self.detail)"
        case .unusableEndpoint: "cluster topology reply with a master that cannot be reached: \(self.detail)"
        case .badRedirect: "malformed cluster redirection: \(self.detail)"
        }
    }
}
