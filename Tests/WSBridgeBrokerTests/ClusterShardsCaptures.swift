import NIOCore
import WSBridgeBroker

/// `CLUSTER SHARDS` replies captured from a real Redis Cluster: redis-server 7.0.15, three masters and three
/// replicas on 127.0.0.1:7101-7106 (`cluster-node-timeout 1000`), read as RESP2 and written out as
/// ``RESPValue`` literals. The events between them are those of docs/scaling.md's measurements.
enum ClusterShardsCaptures {
    /// CLUSTER SHARDS on 127.0.0.1:7101 right after `redis-cli --cluster create … --cluster-replicas 1`: three
    /// masters (7101-7103), one replica each.
    static let created: RESPValue = .array([
        .array([
            bulk("slots"),
            .array([.integer(10923), .integer(16383)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("8370cb2edde0b3d89a85a28b42b054b54daa4760"),
                    bulk("port"), .integer(7103),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(14),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("b0377fe7713ba92318836931eb8389ddc467f183"),
                    bulk("port"), .integer(7105),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(14),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
        .array([
            bulk("slots"),
            .array([.integer(0), .integer(5460)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("5d3823700abfd3a51d140121a87e5ca043190960"),
                    bulk("port"), .integer(7101),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(14),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("b7be3519b75960b8b9487932f31002b40c9b724c"),
                    bulk("port"), .integer(7106),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(14),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
        .array([
            bulk("slots"),
            .array([.integer(5461), .integer(10922)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("74c4f5fab94131d667a156cf440b4723daaa3594"),
                    bulk("port"), .integer(7102),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(14),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("2330a78870b43ed498bd758923c0227e1140c83e"),
                    bulk("port"), .integer(7104),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(14),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
    ])

    /// After `redis-cli --cluster reshard` moved slots 10923-11022 from 7103 to 7101 (and 7102 had taken over
    /// from 7104 in an earlier failover): 7101 serves two ranges.
    static let split: RESPValue = .array([
        .array([
            bulk("slots"),
            .array([.integer(11023), .integer(16383)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("8370cb2edde0b3d89a85a28b42b054b54daa4760"),
                    bulk("port"), .integer(7103),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(4363),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("b0377fe7713ba92318836931eb8389ddc467f183"),
                    bulk("port"), .integer(7105),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(4363),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
        .array([
            bulk("slots"),
            .array([.integer(0), .integer(5460), .integer(10923), .integer(11022)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("5d3823700abfd3a51d140121a87e5ca043190960"),
                    bulk("port"), .integer(7101),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(2283),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("b7be3519b75960b8b9487932f31002b40c9b724c"),
                    bulk("port"), .integer(7106),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(2283),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
        .array([
            bulk("slots"),
            .array([.integer(5461), .integer(10922)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("74c4f5fab94131d667a156cf440b4723daaa3594"),
                    bulk("port"), .integer(7102),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(2422),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("2330a78870b43ed498bd758923c0227e1140c83e"),
                    bulk("port"), .integer(7104),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(2422),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
    ])

    /// After 7103 was SIGKILLed and its replica 7105 promoted: 7103 stays listed as a master without slots,
    /// `health: fail`.
    static let failover: RESPValue = .array([
        .array([
            bulk("slots"),
            .array([]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("8370cb2edde0b3d89a85a28b42b054b54daa4760"),
                    bulk("port"), .integer(7103),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(4363),
                    bulk("health"), bulk("fail"),
                ])
            ]),
        ]),
        .array([
            bulk("slots"),
            .array([.integer(11023), .integer(16383)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("b0377fe7713ba92318836931eb8389ddc467f183"),
                    bulk("port"), .integer(7105),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(4363),
                    bulk("health"), bulk("online"),
                ])
            ]),
        ]),
        .array([
            bulk("slots"),
            .array([.integer(0), .integer(5460), .integer(10923), .integer(11022)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("5d3823700abfd3a51d140121a87e5ca043190960"),
                    bulk("port"), .integer(7101),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(2297),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("b7be3519b75960b8b9487932f31002b40c9b724c"),
                    bulk("port"), .integer(7106),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(2297),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
        .array([
            bulk("slots"),
            .array([.integer(5461), .integer(10922)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("74c4f5fab94131d667a156cf440b4723daaa3594"),
                    bulk("port"), .integer(7102),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(2436),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("2330a78870b43ed498bd758923c0227e1140c83e"),
                    bulk("port"), .integer(7104),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(2436),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
    ])

    /// While the master 7105 (SIGKILLed) is marked failing and its replica 7103 is still `loading` (no failover
    /// yet): the failing master still holds its slots.
    static let failing: RESPValue = .array([
        .array([
            bulk("slots"),
            .array([.integer(11023), .integer(16383)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("b0377fe7713ba92318836931eb8389ddc467f183"),
                    bulk("port"), .integer(7105),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(4363),
                    bulk("health"), bulk("fail"),
                ]),
                .array([
                    bulk("id"), bulk("8370cb2edde0b3d89a85a28b42b054b54daa4760"),
                    bulk("port"), .integer(7103),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(0),
                    bulk("health"), bulk("loading"),
                ]),
            ]),
        ]),
        .array([
            bulk("slots"),
            .array([.integer(0), .integer(5460), .integer(10923), .integer(11022)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("5d3823700abfd3a51d140121a87e5ca043190960"),
                    bulk("port"), .integer(7101),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(2297),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("b7be3519b75960b8b9487932f31002b40c9b724c"),
                    bulk("port"), .integer(7106),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(2297),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
        .array([
            bulk("slots"),
            .array([.integer(5461), .integer(10922)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("74c4f5fab94131d667a156cf440b4723daaa3594"),
                    bulk("port"), .integer(7102),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(2450),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("2330a78870b43ed498bd758923c0227e1140c83e"),
                    bulk("port"), .integer(7104),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("127.0.0.1"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(2450),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
    ])

    /// With `cluster-preferred-endpoint-type hostname` and only 7101 announcing a hostname (`node-a.local`):
    /// the other endpoints are `?`.
    static let hostname: RESPValue = .array([
        .array([
            bulk("slots"),
            .array([.integer(11023), .integer(16383)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("8370cb2edde0b3d89a85a28b42b054b54daa4760"),
                    bulk("port"), .integer(7103),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("?"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(4363),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("b0377fe7713ba92318836931eb8389ddc467f183"),
                    bulk("port"), .integer(7105),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("?"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(4363),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
        .array([
            bulk("slots"),
            .array([.integer(0), .integer(5460), .integer(10923), .integer(11022)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("5d3823700abfd3a51d140121a87e5ca043190960"),
                    bulk("port"), .integer(7101),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("node-a.local"),
                    bulk("hostname"), bulk("node-a.local"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(2283),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("b7be3519b75960b8b9487932f31002b40c9b724c"),
                    bulk("port"), .integer(7106),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("?"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(2283),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
        .array([
            bulk("slots"),
            .array([.integer(5461), .integer(10922)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("74c4f5fab94131d667a156cf440b4723daaa3594"),
                    bulk("port"), .integer(7102),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("?"),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(2422),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("2330a78870b43ed498bd758923c0227e1140c83e"),
                    bulk("port"), .integer(7104),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk("?"),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(2422),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
    ])

    /// With `cluster-preferred-endpoint-type unknown-endpoint`: every endpoint is empty.
    static let unknownEndpoint: RESPValue = .array([
        .array([
            bulk("slots"),
            .array([.integer(11023), .integer(16383)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("8370cb2edde0b3d89a85a28b42b054b54daa4760"),
                    bulk("port"), .integer(7103),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk(""),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(4363),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("b0377fe7713ba92318836931eb8389ddc467f183"),
                    bulk("port"), .integer(7105),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk(""),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(4363),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
        .array([
            bulk("slots"),
            .array([.integer(0), .integer(5460), .integer(10923), .integer(11022)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("5d3823700abfd3a51d140121a87e5ca043190960"),
                    bulk("port"), .integer(7101),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk(""),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(2283),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("b7be3519b75960b8b9487932f31002b40c9b724c"),
                    bulk("port"), .integer(7106),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk(""),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(2283),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
        .array([
            bulk("slots"),
            .array([.integer(5461), .integer(10922)]),
            bulk("nodes"),
            .array([
                .array([
                    bulk("id"), bulk("74c4f5fab94131d667a156cf440b4723daaa3594"),
                    bulk("port"), .integer(7102),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk(""),
                    bulk("role"), bulk("master"),
                    bulk("replication-offset"), .integer(2422),
                    bulk("health"), bulk("online"),
                ]),
                .array([
                    bulk("id"), bulk("2330a78870b43ed498bd758923c0227e1140c83e"),
                    bulk("port"), .integer(7104),
                    bulk("ip"), bulk("127.0.0.1"),
                    bulk("endpoint"), bulk(""),
                    bulk("role"), bulk("replica"),
                    bulk("replication-offset"), .integer(2422),
                    bulk("health"), bulk("online"),
                ]),
            ]),
        ]),
    ])
}
