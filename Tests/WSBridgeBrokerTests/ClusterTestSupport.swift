import NIOCore
import WSBridgeBroker

/// A RESP bulk string holding `text`.
func bulk(_ text: String) -> RESPValue {
    .bulkString(ByteBuffer(string: text))
}

/// The nodes of the captured cluster (``ClusterShardsCaptures``, ``ClusterSlotsCaptures``), by port.
enum CapturedNodes {
    static let m7101 = ClusterNode(id: "5d3823700abfd3a51d140121a87e5ca043190960", host: "127.0.0.1", port: 7101)
    static let m7102 = ClusterNode(id: "74c4f5fab94131d667a156cf440b4723daaa3594", host: "127.0.0.1", port: 7102)
    static let m7103 = ClusterNode(id: "8370cb2edde0b3d89a85a28b42b054b54daa4760", host: "127.0.0.1", port: 7103)
    static let r7104 = ClusterNode(id: "2330a78870b43ed498bd758923c0227e1140c83e", host: "127.0.0.1", port: 7104)
    static let r7105 = ClusterNode(id: "b0377fe7713ba92318836931eb8389ddc467f183", host: "127.0.0.1", port: 7105)
    static let r7106 = ClusterNode(id: "b7be3519b75960b8b9487932f31002b40c9b724c", host: "127.0.0.1", port: 7106)
}

/// `lower...upper` as a slot range (the numbers must be slots).
func slots(_ lower: Int, _ upper: Int) -> ClosedRange<HashSlot> {
    HashSlot(lower)!...HashSlot(upper)!
}

/// One node of a `CLUSTER SHARDS` reply, with the fields Redis 7.0 sends; `omit` leaves fields out.
func shardNode(
    id: String, port: RESPValue = .integer(7101), ip: String? = "127.0.0.1", endpoint: String? = "127.0.0.1",
    role: String = "master", health: String = "online", extra: [RESPValue] = []
) -> RESPValue {
    var fields: [RESPValue] = [bulk("id"), bulk(id), bulk("port"), port]
    if let ip { fields += [bulk("ip"), bulk(ip)] }
    if let endpoint { fields += [bulk("endpoint"), bulk(endpoint)] }
    fields += [bulk("role"), bulk(role), bulk("replication-offset"), .integer(14), bulk("health"), bulk(health)]
    return .array(fields + extra)
}

/// One shard of a `CLUSTER SHARDS` reply.
func shard(_ bounds: [Int], _ nodes: [RESPValue]) -> RESPValue {
    .array([bulk("slots"), .array(bounds.map { .integer(Int64($0)) }), bulk("nodes"), .array(nodes)])
}
