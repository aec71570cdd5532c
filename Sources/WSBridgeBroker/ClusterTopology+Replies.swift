extension ClusterTopology {
    /// Reads a `CLUSTER SHARDS` reply (Redis 7.0+), as RESP2 flat key/value arrays:
    ///
    /// ```
    ///  *N  one per shard: [ "slots", [start, end, start, end, …],      (integers; empty: no slots)
    ///                       "nodes", [ [ "id", ID, "port", 7101, "ip", "127.0.0.1",
    ///                                    "endpoint", "127.0.0.1", "role", "master"|"replica",
    ///                                    "replication-offset", 14, "health", "online"|"fail"|"loading",
    ///                                    ( "tls-port", …, "hostname", … ) ], … ] ]
    /// ```
    ///
    /// A node's address is its `endpoint`; an empty endpoint (`cluster-preferred-endpoint-type
    /// unknown-endpoint`) means `askedHost`, the host the command was sent to; `?` (a hostname endpoint
    /// type, no hostname announced) falls back to `ip`. The port is `port`, else `tls-port`. Unknown
    /// fields are ignored, so newer servers' additions do not break the reading.
    public init(shardsReply reply: RESPValue, askedHost: String) throws(ClusterReplyError) {
        var shards: [Shard] = []
        for (index, entry) in try Self.array(reply, "the reply").enumerated() {
            let place = "shard \(index)"
            let fields = try Self.fields(entry, place)
            let bounds = try Self.array(Self.required("slots", in: fields, place), "\(place) slots")
            let slots = try Self.slotPairs(bounds, place)
            var members: [ShardMember] = []
            for (offset, node) in try Self.array(Self.required("nodes", in: fields, place), "\(place) nodes")
                .enumerated()
            {
                members.append(try Self.shardMember(node, "\(place), node \(offset)", askedHost: askedHost))
            }
            if slots.isEmpty { continue }  // a master without slots: nothing can be sent to it
            let masters = members.filter(\.isMaster)
            guard masters.count == 1 else {
                throw .noMaster("\(place) serves \(slots.count) slot range(s) with \(masters.count) masters")
            }
            guard let master = masters[0].node else {
                throw .unusableEndpoint("\(masters[0].place): master \(masters[0].id) has endpoint \"?\" and no ip")
            }
            let replicas = members.filter { !$0.isMaster && $0.isOnline }.compactMap(\.node)
            shards.append(Shard(master: master, replicas: replicas, slots: slots))
        }
        try self.init(shards: shards)
    }

    /// One node of a `CLUSTER SHARDS` shard.
    private struct ShardMember {
        var place: String
        var id: String
        var isMaster: Bool
        var isOnline: Bool
        /// Nil when the node's address is unknown.
        var node: ClusterNode?
    }

    private static func shardMember(
        _ value: RESPValue, _ place: String, askedHost: String
    ) throws(ClusterReplyError) -> ShardMember {
        let fields = try Self.fields(value, place)
        let id = try Self.string(Self.required("id", in: fields, place), "\(place) id")
        let role = try Self.string(Self.required("role", in: fields, place), "\(place) role")
        guard ["master", "replica", "slave"].contains(role) else {
            throw .malformed("\(place): role \"\(role)\" is neither master nor replica")
        }
        let port = try Self.integer(fields["port"] ?? fields["tls-port"] ?? .bulkString(nil), "\(place) port")
        guard (1...65535).contains(port) else { throw .malformed("\(place): port \(port) is not in 1...65535") }
        let endpoint = try Self.optionalString(fields["endpoint"], "\(place) endpoint")
        let ip = try Self.optionalString(fields["ip"], "\(place) ip")
        let health = try Self.optionalString(fields["health"], "\(place) health")
        let host: String? =
            switch endpoint {
            case ""?: askedHost
            case "?"?, nil: ip.flatMap { $0.isEmpty ? nil : $0 }
            case let named?: named
            }
        return ShardMember(
            place: place, id: id, isMaster: role == "master", isOnline: health == nil || health == "online",
            node: host.map { ClusterNode(id: id, host: $0, port: port) })
    }

    /// Reads a `CLUSTER SLOTS` reply (every version; deprecated since Redis 7.0), one entry per range:
    ///
    /// ```
    ///  *N  [ start, end, master, replica, replica, … ]
    ///      node: [ host, port, id, [ "ip", …, "hostname", … ] ]   host nil: askedHost; "?": the "ip"
    ///                                                              of the metadata; no id (Redis < 4):
    ///                                                              id = "host:port"
    /// ```
    ///
    /// Ranges of one master are joined into one shard. Replicas failing or still loading are already
    /// left out by the server.
    public init(slotsReply reply: RESPValue, askedHost: String) throws(ClusterReplyError) {
        var shards: [Shard] = []
        for (index, value) in try Self.array(reply, "the reply").enumerated() {
            let place = "range \(index)"
            let entry = try Self.array(value, place)
            guard entry.count >= 3 else {
                throw .malformed("\(place) has \(entry.count) elements, expected start, end and a master")
            }
            let slots = try Self.slotPairs(Array(entry[0...1]), place)
            let master = try Self.slotsNode(entry[2], "\(place) master", askedHost: askedHost)
            guard let master else {
                throw .unusableEndpoint("\(place): the master has endpoint \"?\" and no ip")
            }
            var replicas: [ClusterNode] = []
            for (offset, replica) in entry.dropFirst(3).enumerated() {
                if let node = try Self.slotsNode(replica, "\(place) replica \(offset)", askedHost: askedHost) {
                    replicas.append(node)
                }
            }
            shards.append(Shard(master: master, replicas: replicas, slots: slots))
        }
        try self.init(shards: shards)
    }

    /// One node of a `CLUSTER SLOTS` entry; nil when its address is unknown.
    private static func slotsNode(_ value: RESPValue, _ place: String, askedHost: String) throws(ClusterReplyError)
        -> ClusterNode?
    {
        let node = try Self.array(value, place)
        guard node.count >= 2 else { throw .malformed("\(place) has \(node.count) elements, expected host and port") }
        let port = try Self.integer(node[1], "\(place) port")
        guard (1...65535).contains(port) else { throw .malformed("\(place): port \(port) is not in 1...65535") }
        let metadata = node.count >= 4 ? try Self.fields(node[3], "\(place) metadata") : [:]
        let host: String?
        switch node[0] {
        case .bulkString(nil):
            host = askedHost
        default:
            switch try Self.string(node[0], "\(place) host") {
            case "": host = askedHost
            case "?": host = try Self.optionalString(metadata["ip"], "\(place) ip")
            case let named: host = named
            }
        }
        guard let host, !host.isEmpty else { return nil }
        let id = node.count >= 3 ? try Self.string(node[2], "\(place) id") : "\(host):\(port)"
        return ClusterNode(id: id, host: host, port: port)
    }

    // MARK: - Reading RESP values, with the place in the reply for errors

    private static func array(_ value: RESPValue, _ place: String) throws(ClusterReplyError) -> [RESPValue] {
        switch value {
        case .array(let elements?): return elements
        case .error(let message): throw .malformed("\(place) is an error reply: \(message)")
        default: throw .malformed("\(place) is not an array")
        }
    }

    private static func string(_ value: RESPValue, _ place: String) throws(ClusterReplyError) -> String {
        guard let text = value.text else { throw .malformed("\(place) is not a string") }
        return text
    }

    /// An integer, or a string of decimal digits.
    private static func optionalString(_ value: RESPValue?, _ place: String) throws(ClusterReplyError) -> String? {
        guard let value else { return nil }
        return try Self.string(value, place)
    }

    private static func integer(_ value: RESPValue, _ place: String) throws(ClusterReplyError) -> Int {
        switch value {
        case .integer(let number): return Int(number)
        default:
            guard let text = value.text, let number = Int(text) else { throw .malformed("\(place) is not an integer") }
            return number
        }
    }

    /// A flat [key, value, key, value, …] array as a dictionary (the first of repeated keys wins).
    private static func fields(_ value: RESPValue, _ place: String) throws(ClusterReplyError) -> [String: RESPValue] {
        let elements = try Self.array(value, place)
        guard elements.count % 2 == 0 else { throw .malformed("\(place) has an odd number of elements") }
        var fields: [String: RESPValue] = [:]
        for index in stride(from: 0, to: elements.count, by: 2) {
            let key = try Self.string(elements[index], "\(place) key \(index / 2)")
            if fields[key] == nil { fields[key] = elements[index + 1] }
        }
        return fields
    }

    private static func required(_ key: String, in fields: [String: RESPValue], _ place: String)
        throws(ClusterReplyError) -> RESPValue
    {
        guard let value = fields[key] else { throw .malformed("\(place) has no \"\(key)\"") }
        return value
    }

    /// [start, end, start, end, …] as ranges of valid slots.
    private static func slotPairs(_ values: [RESPValue], _ place: String) throws(ClusterReplyError) -> [ClosedRange<
        HashSlot
    >] {
        guard values.count % 2 == 0 else { throw .malformed("\(place) slots have an odd number of bounds") }
        var ranges: [ClosedRange<HashSlot>] = []
        for index in stride(from: 0, to: values.count, by: 2) {
            let start = try Self.integer(values[index], "\(place) slot bound")
            let end = try Self.integer(values[index + 1], "\(place) slot bound")
            guard let lower = HashSlot(start), let upper = HashSlot(end), lower <= upper else {
                throw .malformed("\(place): slot range \(start)-\(end) is not within 0...16383 in order")
            }
            ranges.append(lower...upper)
        }
        return ranges
    }
}
