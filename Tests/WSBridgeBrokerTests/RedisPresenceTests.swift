import Foundation
import Logging
import NIOCore
import NIOPosix
@testable import WSBridgeBroker
import WSBridgeTestSupport
import XCTest

/// The presence functions of the `wsbridge` library in a real redis-server: hosts write their users,
/// queries sum them, a host that stops renewing is swept, and online/offline events are published.
final class RedisPresenceTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var brokers: [RedisBroker] = []
    private let channelName = "presence-test"

    override func setUp() {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDown() {
        for broker in self.brokers {
            XCTAssertNoThrow(try broker.shutdown().wait())
        }
        self.brokers = []
        XCTAssertNoThrow(try self.group.syncShutdownGracefully())
    }

    /// A broker subscribed to the presence channel; its events are collected as text.
    private func started(_ redis: RedisServer) throws -> (RedisBroker, SideCollector) {
        let library = RedisFunctionLibrary(
            channel: self.channelName, historySize: 10, historyTTLMilliseconds: 60_000, metaTTLMilliseconds: 600_000)
        let broker = RedisBroker(
            target: try RedisConnectionTarget(url: redis.url), channel: self.channelName, library: library,
            eventLoopGroup: self.group, reconnectMax: .milliseconds(50),
            sideChannels: [RedisFunctionLibrary.presenceChannel(of: self.channelName)],
            logger: Logger(label: "wsb.test", factory: { _ in SwiftLogNoOpLogHandler() }))
        self.brokers.append(broker)
        let events = SideCollector()
        broker.start(handler: BrokerHandler(received: { _ in }, sideReceived: { _, payload in events.add(String(buffer: payload)) }))
        eventually("linked and durable") { broker.isLinked && broker.isDurable }
        return (broker, events)
    }

    private func write(
        _ broker: RedisBroker, _ node: String, ttl: TimeAmount = .seconds(10), replace: Bool = false, listens: Bool = true,
        _ entries: [(String, Int)]
    ) throws -> Bool {
        try broker.writePresence(
            node: node, ttl: ttl, replace: replace, listens: listens, entries: entries.map { (user: $0.0, sessions: $0.1) }
        ).wait()
    }

    func testNoEventIsPublishedWhileNoLiveHostListens() throws {
        let redis = try RedisServer.started()
        let (broker, events) = try self.started(redis)
        _ = try self.write(broker, "h1", replace: true, listens: false, [("alice", 1)])
        _ = try self.write(broker, "h1", listens: false, [("alice", 0)])
        XCTAssertEqual(try broker.presence(of: ["alice"]).wait(), [[]], "presence itself is kept")
        _ = try self.write(broker, "h2", replace: true, listens: true, [])
        _ = try self.write(broker, "h1", listens: false, [("bob", 1)])
        eventually("bob's event, now that h2 listens") { events.items.count == 1 }
        XCTAssertEqual(events.items, [#"{"type":"online","user":"bob"}"#], "nothing from before anyone listened")
    }

    func testHostsWriteTheirUsersAndAQueryAnswersForAllOfThemInOneCall() throws {
        let redis = try RedisServer.started()
        let (broker, events) = try self.started(redis)
        XCTAssertFalse(try self.write(broker, "h1", replace: true, [("alice", 2), ("bob", 1)]), "h1 was not alive before")
        XCTAssertTrue(try self.write(broker, "h1", []), "a heartbeat of a live host")
        XCTAssertFalse(try self.write(broker, "h2", replace: true, [("alice", 1)]))
        let answer = try broker.presence(of: ["alice", "bob", "carol"]).wait()
        XCTAssertEqual(Set(answer[0].map(\.node)), ["h1", "h2"])
        XCTAssertEqual(answer[0].reduce(0) { $0 + $1.sessions }, 3)
        XCTAssertEqual(answer[1], [PresenceHolding(node: "h1", sessions: 1)])
        XCTAssertEqual(answer[2], [])
        XCTAssertEqual(Set(try broker.presenceHosts().wait()), ["h1", "h2"])
        eventually("online events") { events.items.count == 2 }
        XCTAssertEqual(Set(events.items), [#"{"type":"online","user":"alice"}"#, #"{"type":"online","user":"bob"}"#],
                       "alice's second host is no news")

        XCTAssertTrue(try self.write(broker, "h1", [("alice", 0), ("bob", 0)]))
        eventually("bob went offline") { events.items.count == 3 }
        XCTAssertEqual(events.items.last, #"{"type":"offline","user":"bob"}"#, "alice is still on h2")
        XCTAssertEqual(try broker.presence(of: ["alice", "bob"]).wait(), [[PresenceHolding(node: "h2", sessions: 1)], []])

        XCTAssertTrue(try self.write(broker, "h2", replace: true, [("carol", 1)]))
        eventually("a replacement tells who came and who left") { events.items.count == 5 }
        XCTAssertEqual(Set(events.items.suffix(2)), [#"{"type":"online","user":"carol"}"#, #"{"type":"offline","user":"alice"}"#])
    }

    func testAHostThatStopsRenewingIsSweptAndAHostThatLeavesGoesAtOnce() throws {
        let redis = try RedisServer.started()
        let (broker, events) = try self.started(redis)
        _ = try self.write(broker, "dead", ttl: .milliseconds(200), replace: true, [("alice", 1), ("shared", 1)])
        _ = try self.write(broker, "live", replace: true, [("shared", 1)])
        eventually("online events") { events.items.count == 2 }
        try eventually("an expired host no longer counts") { try broker.presence(of: ["alice"]).wait() == [[]] }
        XCTAssertTrue(try self.write(broker, "live", []), "the live host's heartbeat sweeps the dead one")
        eventually("alice went offline with her host") { events.items.count == 3 }
        XCTAssertEqual(events.items.last, #"{"type":"offline","user":"alice"}"#)
        XCTAssertEqual(redis.run(["SISMEMBER", "wsb:presence:hosts", "dead"]).trimmingCharacters(in: .whitespacesAndNewlines), "0")

        _ = try self.write(broker, "watcher", replace: true, [])
        try broker.leavePresence(node: "live").wait()
        eventually("shared went offline") { events.items.count == 4 }
        XCTAssertEqual(events.items.last, #"{"type":"offline","user":"shared"}"#)
        XCTAssertEqual(try broker.presenceHosts().wait(), ["watcher"], "a host without users is a live host")
    }

    func testTwoDeadHostsOfOneUserAreSweptWithOneOfflineEvent() throws {
        let redis = try RedisServer.started()
        let (broker, events) = try self.started(redis)
        _ = try self.write(broker, "dead1", ttl: .milliseconds(200), replace: true, [("alice", 1)])
        _ = try self.write(broker, "dead2", ttl: .milliseconds(200), replace: true, [("alice", 1)])
        _ = try self.write(broker, "live", replace: true, [])
        eventually("alice online") { events.items.count == 1 }
        try eventually("both dead hosts expired") { try broker.presence(of: ["alice"]).wait() == [[]] }
        _ = try self.write(broker, "live", [])
        eventually("alice offline") { events.items.count == 2 }
        // Published after the sweep, so it arrives after any event the sweep published.
        _ = redis.run(["PUBLISH", RedisFunctionLibrary.presenceChannel(of: self.channelName), "barrier"])
        eventually("the barrier") { events.items.last == "barrier" }
        XCTAssertEqual(
            events.items, [#"{"type":"online","user":"alice"}"#, #"{"type":"offline","user":"alice"}"#, "barrier"],
            "one offline event for the two hosts")
    }

    func testACallWithABadCountChangesNothing() throws {
        let redis = try RedisServer.started()
        let (broker, _) = try self.started(redis)
        _ = try self.write(broker, "h1", replace: true, [("alice", 1)])
        let reply = try broker.send(RedisCommand("FCALL", "wsbridge_presence_update", "0", "h1", "1000", "1", "0", "bob", "2", "carol", "x")).wait()
        guard case .error(let message) = reply else { return XCTFail("\(reply)") }
        XCTAssertTrue(message.contains("SESSIONS must be a number"), message)
        XCTAssertEqual(try broker.presence(of: ["alice", "bob"]).wait(), [[PresenceHolding(node: "h1", sessions: 1)], []],
                       "the replacement did not start: alice is still there, bob was not written")
    }

    func testBadCallsGetAnErrorReply() throws {
        let redis = try RedisServer.started()
        let (broker, _) = try self.started(redis)
        XCTAssertThrowsError(try broker.writePresence(node: "", ttl: .seconds(1), replace: false, entries: []).wait()) { error in
            XCTAssertTrue("\(error)".contains("WSBRIDGE usage"), "\(error)")
        }
        XCTAssertThrowsError(try broker.send(RedisCommand("FCALL", "wsbridge_presence_update", "0", "h", "1000", "0", "0", "u", "x")).flatMapThrowing { reply in
            if case .error(let message) = reply { throw RedisBrokerError.presenceRejected(message) }
        }.wait())
    }
}

/// Side-channel messages, from any thread.
final class SideCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    func add(_ item: String) { self.lock.withLock { self.storage.append(item) } }
    var items: [String] { self.lock.withLock { self.storage } }
}
