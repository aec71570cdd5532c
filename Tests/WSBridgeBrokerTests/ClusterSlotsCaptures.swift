import NIOCore
import WSBridgeBroker

/// `CLUSTER SLOTS` replies captured from a real Redis Cluster: redis-server 7.0.15, three masters and three
/// replicas on 127.0.0.1:7101-7106 (`cluster-node-timeout 1000`), read as RESP2 and written out as
/// ``RESPValue`` literals. The events between them are those of docs/scaling.md's measurements.
enum ClusterSlotsCaptures {
    /// CLUSTER SLOTS on 127.0.0.1:7101 right after `redis-cli --cluster create`.
    static let created: RESPValue = .array([
        .array([
            .integer(0),
            .integer(5460),
            .array([
                bulk("127.0.0.1"), .integer(7101),
                bulk("5d3823700abfd3a51d140121a87e5ca043190960"), .array([]),
            ]),
            .array([
                bulk("127.0.0.1"), .integer(7106),
                bulk("b7be3519b75960b8b9487932f31002b40c9b724c"), .array([]),
            ]),
        ]),
        .array([
            .integer(5461),
            .integer(10922),
            .array([
                bulk("127.0.0.1"), .integer(7102),
                bulk("74c4f5fab94131d667a156cf440b4723daaa3594"), .array([]),
            ]),
            .array([
                bulk("127.0.0.1"), .integer(7104),
                bulk("2330a78870b43ed498bd758923c0227e1140c83e"), .array([]),
            ]),
        ]),
        .array([
            .integer(10923),
            .integer(16383),
            .array([
                bulk("127.0.0.1"), .integer(7103),
                bulk("8370cb2edde0b3d89a85a28b42b054b54daa4760"), .array([]),
            ]),
            .array([
                bulk("127.0.0.1"), .integer(7105),
                bulk("b0377fe7713ba92318836931eb8389ddc467f183"), .array([]),
            ]),
        ]),
    ])

    /// After the reshard above: 7101 serves two ranges, listed as two entries.
    static let split: RESPValue = .array([
        .array([
            .integer(0),
            .integer(5460),
            .array([
                bulk("127.0.0.1"), .integer(7101),
                bulk("5d3823700abfd3a51d140121a87e5ca043190960"), .array([]),
            ]),
            .array([
                bulk("127.0.0.1"), .integer(7106),
                bulk("b7be3519b75960b8b9487932f31002b40c9b724c"), .array([]),
            ]),
        ]),
        .array([
            .integer(5461),
            .integer(10922),
            .array([
                bulk("127.0.0.1"), .integer(7102),
                bulk("74c4f5fab94131d667a156cf440b4723daaa3594"), .array([]),
            ]),
            .array([
                bulk("127.0.0.1"), .integer(7104),
                bulk("2330a78870b43ed498bd758923c0227e1140c83e"), .array([]),
            ]),
        ]),
        .array([
            .integer(10923),
            .integer(11022),
            .array([
                bulk("127.0.0.1"), .integer(7101),
                bulk("5d3823700abfd3a51d140121a87e5ca043190960"), .array([]),
            ]),
            .array([
                bulk("127.0.0.1"), .integer(7106),
                bulk("b7be3519b75960b8b9487932f31002b40c9b724c"), .array([]),
            ]),
        ]),
        .array([
            .integer(11023),
            .integer(16383),
            .array([
                bulk("127.0.0.1"), .integer(7103),
                bulk("8370cb2edde0b3d89a85a28b42b054b54daa4760"), .array([]),
            ]),
            .array([
                bulk("127.0.0.1"), .integer(7105),
                bulk("b0377fe7713ba92318836931eb8389ddc467f183"), .array([]),
            ]),
        ]),
    ])

    /// After 7103 was SIGKILLed and 7105 promoted: 7103 is gone from the reply.
    static let failover: RESPValue = .array([
        .array([
            .integer(0),
            .integer(5460),
            .array([
                bulk("127.0.0.1"), .integer(7101),
                bulk("5d3823700abfd3a51d140121a87e5ca043190960"), .array([]),
            ]),
            .array([
                bulk("127.0.0.1"), .integer(7106),
                bulk("b7be3519b75960b8b9487932f31002b40c9b724c"), .array([]),
            ]),
        ]),
        .array([
            .integer(5461),
            .integer(10922),
            .array([
                bulk("127.0.0.1"), .integer(7102),
                bulk("74c4f5fab94131d667a156cf440b4723daaa3594"), .array([]),
            ]),
            .array([
                bulk("127.0.0.1"), .integer(7104),
                bulk("2330a78870b43ed498bd758923c0227e1140c83e"), .array([]),
            ]),
        ]),
        .array([
            .integer(10923),
            .integer(11022),
            .array([
                bulk("127.0.0.1"), .integer(7101),
                bulk("5d3823700abfd3a51d140121a87e5ca043190960"), .array([]),
            ]),
            .array([
                bulk("127.0.0.1"), .integer(7106),
                bulk("b7be3519b75960b8b9487932f31002b40c9b724c"), .array([]),
            ]),
        ]),
        .array([
            .integer(11023),
            .integer(16383),
            .array([
                bulk("127.0.0.1"), .integer(7105),
                bulk("b0377fe7713ba92318836931eb8389ddc467f183"), .array([]),
            ]),
        ]),
    ])

    /// With endpoint type hostname, only 7101 announcing `node-a.local`: `?` with the IP in the metadata.
    static let hostname: RESPValue = .array([
        .array([
            .integer(0),
            .integer(5460),
            .array([
                bulk("node-a.local"),
                .integer(7101),
                bulk("5d3823700abfd3a51d140121a87e5ca043190960"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
            .array([
                bulk("?"),
                .integer(7106),
                bulk("b7be3519b75960b8b9487932f31002b40c9b724c"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
        ]),
        .array([
            .integer(5461),
            .integer(10922),
            .array([
                bulk("?"),
                .integer(7102),
                bulk("74c4f5fab94131d667a156cf440b4723daaa3594"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
            .array([
                bulk("?"),
                .integer(7104),
                bulk("2330a78870b43ed498bd758923c0227e1140c83e"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
        ]),
        .array([
            .integer(10923),
            .integer(11022),
            .array([
                bulk("node-a.local"),
                .integer(7101),
                bulk("5d3823700abfd3a51d140121a87e5ca043190960"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
            .array([
                bulk("?"),
                .integer(7106),
                bulk("b7be3519b75960b8b9487932f31002b40c9b724c"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
        ]),
        .array([
            .integer(11023),
            .integer(16383),
            .array([
                bulk("?"),
                .integer(7103),
                bulk("8370cb2edde0b3d89a85a28b42b054b54daa4760"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
            .array([
                bulk("?"),
                .integer(7105),
                bulk("b0377fe7713ba92318836931eb8389ddc467f183"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
        ]),
    ])

    /// With endpoint type unknown-endpoint: null endpoints, the IP in the metadata.
    static let unknownEndpoint: RESPValue = .array([
        .array([
            .integer(0),
            .integer(5460),
            .array([
                .bulkString(nil),
                .integer(7101),
                bulk("5d3823700abfd3a51d140121a87e5ca043190960"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
            .array([
                .bulkString(nil),
                .integer(7106),
                bulk("b7be3519b75960b8b9487932f31002b40c9b724c"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
        ]),
        .array([
            .integer(5461),
            .integer(10922),
            .array([
                .bulkString(nil),
                .integer(7102),
                bulk("74c4f5fab94131d667a156cf440b4723daaa3594"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
            .array([
                .bulkString(nil),
                .integer(7104),
                bulk("2330a78870b43ed498bd758923c0227e1140c83e"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
        ]),
        .array([
            .integer(10923),
            .integer(11022),
            .array([
                .bulkString(nil),
                .integer(7101),
                bulk("5d3823700abfd3a51d140121a87e5ca043190960"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
            .array([
                .bulkString(nil),
                .integer(7106),
                bulk("b7be3519b75960b8b9487932f31002b40c9b724c"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
        ]),
        .array([
            .integer(11023),
            .integer(16383),
            .array([
                .bulkString(nil),
                .integer(7103),
                bulk("8370cb2edde0b3d89a85a28b42b054b54daa4760"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
            .array([
                .bulkString(nil),
                .integer(7105),
                bulk("b0377fe7713ba92318836931eb8389ddc467f183"),
                .array([bulk("ip"), bulk("127.0.0.1")]),
            ]),
        ]),
    ])
}
