import XCTest

@testable import WSBridgeConfig

final class RedisEndpointTests: XCTestCase {
    func testAHostAloneGetsTheDefaultPortAndDatabase() throws {
        XCTAssertEqual(try RedisEndpoint.parse("redis://localhost"), RedisEndpoint(address: .tcp(host: "localhost", port: 6379)))
        XCTAssertEqual(try RedisEndpoint.parse("redis://10.0.0.5/"), RedisEndpoint(address: .tcp(host: "10.0.0.5", port: 6379)))
    }

    func testPortAndDatabaseAreRead() throws {
        let endpoint = try RedisEndpoint.parse("redis://cache.internal:6380/3")
        XCTAssertEqual(endpoint.address, .tcp(host: "cache.internal", port: 6380))
        XCTAssertEqual(endpoint.db, 3)
    }

    func testCredentialsAreReadAndPercentDecoded() throws {
        let both = try RedisEndpoint.parse("redis://app:s3cr%40t@127.0.0.1:6379/1")
        XCTAssertEqual(both.username, "app")
        XCTAssertEqual(both.password, "s3cr@t")
        let passwordOnly = try RedisEndpoint.parse("redis://:hunter2@localhost")
        XCTAssertNil(passwordOnly.username)
        XCTAssertEqual(passwordOnly.password, "hunter2")
        XCTAssertEqual(try RedisEndpoint.parse("redis://:p@ss@host").password, "p@ss")
    }

    func testABracketedIPv6HostIsAccepted() throws {
        XCTAssertEqual(try RedisEndpoint.parse("redis://[::1]:7000").address, .tcp(host: "::1", port: 7000))
        XCTAssertEqual(try RedisEndpoint.parse("redis://[2001:db8::2]").address, .tcp(host: "2001:db8::2", port: 6379))
    }

    func testUnixSocketFormsAreAccepted() throws {
        XCTAssertEqual(
            try RedisEndpoint.parse("unix:///run/redis/redis.sock"), RedisEndpoint(address: .unix(path: "/run/redis/redis.sock")))
        XCTAssertEqual(
            try RedisEndpoint.parse("unix:///run/redis.sock?db=2"), RedisEndpoint(address: .unix(path: "/run/redis.sock"), db: 2))
        XCTAssertEqual(
            try RedisEndpoint.parse("redis+unix:///tmp/r.sock?db=5&password=x%20y&username=u"),
            RedisEndpoint(address: .unix(path: "/tmp/r.sock"), username: "u", password: "x y", db: 5))
    }

    func testTheRedactedFormHidesThePassword() throws {
        let endpoint = try RedisEndpoint.parse("redis://app:topsecret@cache:6380/2")
        XCTAssertEqual(endpoint.redacted, "redis://app:***@cache:6380/2")
        XCTAssertEqual("\(endpoint)", "redis://app:***@cache:6380/2")
        XCTAssertFalse(String(describing: endpoint).contains("topsecret"))
        XCTAssertEqual(try RedisEndpoint.parse("redis://:pw@[::1]").redacted, "redis://:***@[::1]:6379/0")
        XCTAssertEqual(try RedisEndpoint.parse("redis://localhost").redacted, "redis://localhost:6379/0")
        XCTAssertEqual(
            try RedisEndpoint.parse("unix:///r.sock?password=pw&db=1").redacted, "unix:///r.sock?db=1&password=***")
    }

    func testMalformedURLsAreRejectedWithAReason() {
        let cases = [
            ("localhost:6379", "expected a redis://, unix:// or redis+unix:// URL, got \"localhost:6379\""),
            ("http://x", "expected a redis://, unix:// or redis+unix:// URL, got \"http://x\""),
            ("rediss://x", "TLS (rediss://) is not supported; use redis:// or a Unix socket"),
            ("redis://", "invalid host \"\" in redis:// URL"),
            ("redis://a b", "invalid host \"a b\" in redis:// URL"),
            ("redis://host:0", "port must be a number from 1 to 65535, got \"0\""),
            ("redis://host:65536", "port must be a number from 1 to 65535, got \"65536\""),
            ("redis://host:/1", "port must be a number from 1 to 65535, got \"\""),
            ("redis://host/x", "database must be a number such as 0, got \"x\""),
            ("redis://host?db=1", "a redis:// URL takes no query or fragment; put the database in the path, as in redis://host:6379/2"),
            ("redis://user@host", "expected [user]:password@ before the host (a name alone is ambiguous)"),
            ("redis://user:@host", "empty password after \"user:\"; leave out \"user:@\" for none"),
            ("redis://:%zz@host", "bad percent escape in the password"),
            ("unix://run/redis.sock", "expected an absolute socket path, as in unix:///run/redis/redis.sock"),
            ("unix:///r.sock?db=x", "database must be a number such as 0, got \"x\""),
            ("unix:///r.sock?timeout=1", "unknown parameter \"timeout\"; expected db, username or password"),
        ]
        for (text, message) in cases {
            XCTAssertEqual(valueError(RedisEndpoint.parse, text), message, text)
        }
    }

    func testAnErrorNeverRepeatsAPassword() {
        let message = valueError(RedisEndpoint.parse, "tcp://user:topsecret@host")
        XCTAssertEqual(message, "expected a redis://, unix:// or redis+unix:// URL")
        for text in ["redis://:topsecret@host:99999", "redis://:topsecret@bad host"] {
            XCTAssertFalse(valueError(RedisEndpoint.parse, text)?.contains("topsecret") ?? true, text)
        }
    }

    func testAnEmptyRedisKeyMeansTheEmbeddedBroker() {
        XCTAssertNil(loaded("redis =")?.redis)
        XCTAssertEqual(loaded("redis = redis://127.0.0.1:6379/0")?.redis, RedisEndpoint(address: .tcp(host: "127.0.0.1", port: 6379)))
    }

    func testClusterSeedsAreRedisURLsOfOneDatabaseAndOneSetOfCredentials() throws {
        let seeds = try RedisEndpoint.parseCluster("redis://:pw@10.0.0.1:7000, redis://:pw@10.0.0.2")
        XCTAssertEqual(seeds.map(\.address), [.tcp(host: "10.0.0.1", port: 7000), .tcp(host: "10.0.0.2", port: 6379)])
        XCTAssertEqual(seeds.map(\.password), ["pw", "pw"])
        let cases = [
            ("redis://a:7000,", "seed node 2 is empty (a stray comma?)"),
            ("redis://a:7000,b:7001", "seed node 2: expected a redis://host:port URL, got \"b:7001\""),
            ("unix:///r.sock", "seed node 1: expected a redis://host:port URL, got \"unix:///r.sock\""),
            ("redis://a:7000/2", "seed node 1: a Redis Cluster has database 0 only, got /2"),
            ("redis://a:99999", "seed node 1: port must be a number from 1 to 65535, got \"99999\""),
            ("redis://:x@a,redis://:y@b", "seed node 2 has other credentials than seed node 1: every node of a cluster has the same users"),
        ]
        for (text, message) in cases {
            XCTAssertEqual(valueError(RedisEndpoint.parseCluster, text), message, text)
        }
        XCTAssertFalse(valueError(RedisEndpoint.parseCluster, "redis://:secret@a,redis://:other@b")?.contains("secret") ?? true)
    }

    func testRedisAndRedisClusterAreOneOrTheOther() {
        XCTAssertEqual(loaded("redis_cluster = redis://127.0.0.1:7000")?.redisCluster?.count, 1)
        XCTAssertNil(loaded("redis_cluster =")?.redisCluster)
        assertSingleError(
            "redis = redis://127.0.0.1\nredis_cluster = redis://127.0.0.1:7000",
            "test.conf:2: redis_cluster: redis is set too: use redis for one Redis server, or redis_cluster for a Redis Cluster, not both")
    }

    func testRoutingIsChannelOrPerUser() {
        XCTAssertEqual(WSBridgeConfiguration().routing, .channel)
        XCTAssertEqual(loaded("routing = per-user\nredis = redis://127.0.0.1")?.routing, .perUser)
        XCTAssertEqual(loaded("routing = per-user\nredis_cluster = redis://127.0.0.1:7000")?.routing, .perUser)
        assertSingleError("routing = sharded", "test.conf:1: routing: expected one of channel, per-user, got \"sharded\"")
    }
}
