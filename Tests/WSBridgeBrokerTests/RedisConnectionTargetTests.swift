import WSBridgeBroker
import XCTest

final class RedisConnectionTargetTests: XCTestCase {
    func testAHostAloneGetsTheDefaultPortAndDatabase() throws {
        let target = try RedisConnectionTarget(url: "redis://127.0.0.1")
        XCTAssertEqual(target.address, .tcp(host: "127.0.0.1", port: 6379))
        XCTAssertNil(target.username)
        XCTAssertNil(target.password)
        XCTAssertEqual(target.database, 0)
        XCTAssertEqual(target.displayName, "redis://127.0.0.1:6379/0")
    }

    func testPortAndDatabaseAreRead() throws {
        let target = try RedisConnectionTarget(url: "redis://localhost:6380/3")
        XCTAssertEqual(target.address, .tcp(host: "localhost", port: 6380))
        XCTAssertEqual(target.database, 3)
        XCTAssertEqual(try RedisConnectionTarget(url: "redis://localhost:6380/").database, 0)
    }

    func testUserAndPasswordAreReadAndThePasswordNeverShows() throws {
        let target = try RedisConnectionTarget(url: "redis://alice:s3cr%40t@10.0.0.1:7000/2")
        XCTAssertEqual(target.username, "alice")
        XCTAssertEqual(target.password, "s3cr@t")
        XCTAssertEqual(target.displayName, "redis://alice@10.0.0.1:7000/2")
        XCTAssertFalse(target.displayName.contains("s3cr"))
        XCTAssertFalse("\(target)".contains("s3cr"))
    }

    func testAPasswordWithoutUserIsForTheDefaultUser() throws {
        let colon = try RedisConnectionTarget(url: "redis://:pw@127.0.0.1")
        XCTAssertNil(colon.username)
        XCTAssertEqual(colon.password, "pw")
        let bare = try RedisConnectionTarget(url: "redis://pw@127.0.0.1")
        XCTAssertNil(bare.username)
        XCTAssertEqual(bare.password, "pw")
    }

    func testAPasswordMayContainAtSignsAndColons() throws {
        let target = try RedisConnectionTarget(url: "redis://bob:a:b@c@host:1")
        XCTAssertEqual(target.username, "bob")
        XCTAssertEqual(target.password, "a:b@c")
        XCTAssertEqual(target.address, .tcp(host: "host", port: 1))
    }

    func testIPv6HostsAreBracketed() throws {
        let target = try RedisConnectionTarget(url: "redis://[::1]:6390/1")
        XCTAssertEqual(target.address, .tcp(host: "::1", port: 6390))
        XCTAssertEqual(target.displayName, "redis://[::1]:6390/1")
        XCTAssertEqual(try RedisConnectionTarget(url: "redis://[::1]").address, .tcp(host: "::1", port: 6379))
    }

    func testUnixSocketsTakeAPathAndAnOptionalDatabase() throws {
        let plain = try RedisConnectionTarget(url: "unix:///run/redis/redis.sock")
        XCTAssertEqual(plain.address, .unix(path: "/run/redis/redis.sock"))
        XCTAssertEqual(plain.database, 0)
        XCTAssertEqual(plain.displayName, "unix:///run/redis/redis.sock?db=0")

        let withDatabase = try RedisConnectionTarget(url: "unix:///tmp/r.sock?db=4")
        XCTAssertEqual(withDatabase.address, .unix(path: "/tmp/r.sock"))
        XCTAssertEqual(withDatabase.database, 4)

        let withPassword = try RedisConnectionTarget(url: "unix://:pw@/tmp/r.sock")
        XCTAssertEqual(withPassword.password, "pw")
        XCTAssertEqual(withPassword.address, .unix(path: "/tmp/r.sock"))
    }

    func testTheSchemeIsCaseInsensitive() throws {
        XCTAssertEqual(try RedisConnectionTarget(url: "REDIS://h:1").address, .tcp(host: "h", port: 1))
    }

    func testBadURLsAreRefusedWithAReason() {
        let bad: [(String, String)] = [
            ("127.0.0.1:6379", "redis://"),
            ("http://host", "scheme"),
            ("rediss://host", "TLS"),
            ("redis://", "host"),
            ("redis://:6379", "host"),
            ("redis://host:0", "port"),
            ("redis://host:70000", "port"),
            ("redis://host:abc", "port"),
            ("redis://host/x", "database"),
            ("redis://host/-1", "database"),
            ("redis://host?db=1", "query"),
            ("redis://[::1", "IPv6"),
            ("unix://", "path"),
            ("unix:///", "path"),
            ("unix://host/tmp/x.sock", "no host"),
            ("unix:///tmp/x.sock?foo=1", "unknown query"),
            ("unix:///tmp/x.sock?db=z", "database"),
            ("redis://u:bad%zz@host", "percent"),
        ]
        for (url, expected) in bad {
            XCTAssertThrowsError(try RedisConnectionTarget(url: url), url) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(expected), "\(url): '\(text)' should mention '\(expected)'")
                XCTAssertFalse(text.contains("bad%zz"), "the password must not be echoed")
            }
        }
    }
}
