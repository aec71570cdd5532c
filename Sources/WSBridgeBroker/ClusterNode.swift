/// One Redis Cluster node as a topology reply names it: its node id and where to connect.
///
/// Two values are the same node only if id, host and port all match: a master that comes back on
/// another address is a new connection target, so it compares as another node. `host` is resolved when
/// the reply is read (an IP address or a hostname, never empty, never `?`).
public struct ClusterNode: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The node's 40-character id (`CLUSTER MYID`); for a `CLUSTER SLOTS` reply of a server that gives
    /// none (before Redis 4), `host:port`.
    public var id: String
    public var host: String
    public var port: Int

    public init(id: String, host: String, port: Int) {
        self.id = id
        self.host = host
        self.port = port
    }

    /// `host:port`, with an IPv6 address in brackets.
    public var address: String {
        (self.host.contains(":") ? "[\(self.host)]" : self.host) + ":\(self.port)"
    }

    public var description: String { "\(self.address) (\(self.id))" }

    /// Orders by address, then id: a stable order for actions and logs.
    public static func < (lhs: ClusterNode, rhs: ClusterNode) -> Bool {
        (lhs.host, lhs.port, lhs.id) < (rhs.host, rhs.port, rhs.id)
    }
}
