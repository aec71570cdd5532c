import WSBridgeBroker
import XCTest

/// Wanting, batching and releasing channels. Slots (from `CLUSTER KEYSLOT`): `{u:alice}:a` and `{u:alice}:b`
/// 5797 and `wsb:u:42` 5883 (7102), `b` and `x{b}` 3300 (7101), `a` 15495 (7103).
final class ShardedSubscriptionsTests: XCTestCase {
    private typealias N = CapturedNodes
    private var rig = SubscriptionsRig()

    func testNothingHappensBeforeAFlush() {
        self.rig.machine.want("a")
        self.rig.machine.want("b")
        XCTAssertEqual(self.rig.machine.wantedCount, 0)
        XCTAssertEqual(self.rig.machine.flush(), [.refreshTopology])
        XCTAssertEqual(self.rig.machine.wantedCount, 2)
    }

    func testTheTopologyIsAskedForOnceWhileItIsOut() {
        XCTAssertEqual(self.rig.want("a"), [.refreshTopology])
        XCTAssertEqual(self.rig.want("b"), [])
    }

    func testOnlyTheMastersOfWantedSlotsAreConnected() throws {
        _ = self.rig.want("{u:alice}:a", "wsb:u:42")
        XCTAssertEqual(self.rig.machine.topologyChanged(try SubscriptionsRig.created()), [.connect(N.m7102)])
        XCTAssertEqual(self.rig.machine.linkedMasters, [N.m7102])
    }

    func testAConnectedMasterGetsOneSSubscribePerSlot() throws {
        _ = self.rig.want("{u:alice}:b", "wsb:u:42", "{u:alice}:a")
        _ = self.rig.machine.topologyChanged(try SubscriptionsRig.created())
        XCTAssertEqual(
            self.rig.machine.connected(N.m7102),
            [
                .ssubscribe(N.m7102, slot(5797), ["{u:alice}:a", "{u:alice}:b"]),
                .ssubscribe(N.m7102, slot(5883), ["wsb:u:42"]),
            ])
    }

    func testAChannelIsSubscribedOnceEachOfItsCommandsChannelsIsConfirmed() throws {
        _ = self.rig.want("{u:alice}:a", "{u:alice}:b")
        _ = self.rig.machine.topologyChanged(try SubscriptionsRig.created())
        _ = self.rig.machine.connected(N.m7102)
        XCTAssertEqual(self.rig.machine.received(.ssubscribe("{u:alice}:a"), from: N.m7102), [])
        XCTAssertFalse(self.rig.machine.isSubscribed("{u:alice}:b"))
        XCTAssertEqual(
            self.rig.machine.received(.ssubscribe("{u:alice}:b"), from: N.m7102),
            [.subscribed(["{u:alice}:a", "{u:alice}:b"])])
        XCTAssertTrue(self.rig.machine.isSubscribed("{u:alice}:a"))
        XCTAssertEqual(self.rig.machine.subscribedCount, 2)
    }

    func testAUserWhoLeavesAndComesBackWithinATickCostsNothing() throws {
        _ = try self.rig.subscribed("{u:alice}:a", "wsb:u:42")
        self.rig.machine.unwant("{u:alice}:a")
        self.rig.machine.want("{u:alice}:a")
        XCTAssertEqual(self.rig.machine.flush(), [])
        self.rig.machine.want("b")
        self.rig.machine.unwant("b")
        XCTAssertEqual(self.rig.machine.flush(), [], "wanted and dropped within one tick: no connection to 7101")
        XCTAssertTrue(self.rig.machine.isSubscribed("{u:alice}:a"))
    }

    func testAChannelLeavingAMasterStillNeededIsUnsubscribed() throws {
        _ = try self.rig.subscribed("{u:alice}:a", "{u:alice}:b", "wsb:u:42")
        XCTAssertEqual(self.rig.unwant("{u:alice}:b"), [.sunsubscribe(N.m7102, slot(5797), ["{u:alice}:b"])])
        XCTAssertTrue(self.rig.machine.isSubscribed("{u:alice}:b"), "until Redis answers")
        XCTAssertEqual(self.rig.machine.received(.sunsubscribe("{u:alice}:b"), from: N.m7102), [])
        XCTAssertFalse(self.rig.machine.isSubscribed("{u:alice}:b"))
        XCTAssertEqual(self.rig.machine.subscribedCount, 2)
    }

    func testTheLastChannelOfAMasterLeavingClosesItsConnection() throws {
        _ = try self.rig.subscribed("{u:alice}:a", "b")
        XCTAssertEqual(self.rig.machine.linkedMasters, [N.m7101, N.m7102])
        XCTAssertEqual(self.rig.unwant("{u:alice}:a"), [.disconnect(N.m7102)], "no SUNSUBSCRIBE: the connection goes")
        XCTAssertEqual(self.rig.machine.linkedMasters, [N.m7101])
        XCTAssertEqual(self.rig.machine.subscribedCount, 1)
        XCTAssertEqual(self.rig.machine.wantedCount, 1)
    }

    func testChannelsWantedWhileTheSlotsSSubscribeIsOutGoInItsNextOne() throws {
        _ = try self.rig.subscribed("wsb:u:42")
        XCTAssertEqual(self.rig.want("{u:alice}:a"), [.ssubscribe(N.m7102, slot(5797), ["{u:alice}:a"])])
        XCTAssertEqual(self.rig.want("{u:alice}:b"), [], "one SSUBSCRIBE per slot in flight")
        XCTAssertEqual(
            self.rig.machine.received(.ssubscribe("{u:alice}:a"), from: N.m7102),
            [.subscribed(["{u:alice}:a"]), .ssubscribe(N.m7102, slot(5797), ["{u:alice}:b"])])
    }

    func testAChannelDroppedWhileItsSSubscribeIsOutIsUnsubscribedOnceConfirmed() throws {
        _ = try self.rig.subscribed("wsb:u:42")
        _ = self.rig.want("{u:alice}:a")
        XCTAssertEqual(self.rig.unwant("{u:alice}:a"), [])
        XCTAssertEqual(
            self.rig.machine.received(.ssubscribe("{u:alice}:a"), from: N.m7102),
            [.sunsubscribe(N.m7102, slot(5797), ["{u:alice}:a"])], "not reported subscribed: nobody wants it")
    }

    func testAChannelWantedAgainWhileItsSUnsubscribeIsOutIsSubscribedOnceAnswered() throws {
        _ = try self.rig.subscribed("{u:alice}:a", "wsb:u:42")
        _ = self.rig.unwant("{u:alice}:a")
        XCTAssertEqual(self.rig.want("{u:alice}:a"), [])
        XCTAssertEqual(
            self.rig.machine.received(.sunsubscribe("{u:alice}:a"), from: N.m7102),
            [.ssubscribe(N.m7102, slot(5797), ["{u:alice}:a"])])
        XCTAssertEqual(
            self.rig.machine.received(.ssubscribe("{u:alice}:a"), from: N.m7102), [.subscribed(["{u:alice}:a"])])
    }

    func testAMassReconnectOfTenThousandUsersIsOneSSubscribePerSlotGroup() throws {
        // Per-user channels with a partition hash tag: 10,000 users in 64 partitions.
        let channels = (0..<10_000).map { "wsbridge:{p:\($0 % 64)}:u:user\($0)" }
        channels.forEach { self.rig.machine.want($0) }
        XCTAssertEqual(self.rig.machine.flush(), [.refreshTopology])
        let connects = self.rig.machine.topologyChanged(try SubscriptionsRig.created())
        XCTAssertEqual(Set(connects), [.connect(N.m7101), .connect(N.m7102), .connect(N.m7103)])
        let commands = [N.m7101, N.m7102, N.m7103].flatMap { self.rig.machine.connected($0) }.ssubscribes
        let slots = Set(channels.map { HashSlot(key: $0) })
        XCTAssertEqual(commands.count, slots.count)
        XCTAssertLessThanOrEqual(commands.count, 64)
        XCTAssertEqual(Set(commands.map(\.1)), slots, "one command per slot")
        XCTAssertEqual(commands.reduce(0) { $0 + $1.2.count }, 10_000, "every channel in exactly one command")
        for (master, slot, batch) in commands {
            XCTAssertEqual(try SubscriptionsRig.created().master(for: slot), master)
            XCTAssertTrue(batch.allSatisfy { HashSlot(key: $0) == slot })
        }
        let after = self.rig.perform(commands.map { .ssubscribe($0.0, $0.1, $0.2) })
        XCTAssertEqual(Set(after.firstSubscribed), Set(channels))
        XCTAssertEqual(self.rig.machine.subscribedCount, 10_000)
    }

    func testWithoutAHashTagEachSlotIsStillOneCommand() throws {
        let channels = (0..<10_000).map { "wsbridge:u:user\($0)" }
        channels.forEach { self.rig.machine.want($0) }
        _ = self.rig.machine.flush()
        _ = self.rig.machine.topologyChanged(try SubscriptionsRig.created())
        let commands = [N.m7101, N.m7102, N.m7103].flatMap { self.rig.machine.connected($0) }.ssubscribes
        XCTAssertEqual(commands.count, Set(channels.map { HashSlot(key: $0) }).count)
        XCTAssertLessThan(commands.count, 10_000)
    }

    func testASlotWithMoreChannelsThanACommandTakesSuccessiveCommands() throws {
        self.rig = SubscriptionsRig(maxChannelsPerCommand: 2)
        _ = try self.rig.subscribed("wsb:u:42")
        let channels = (1...5).map { "{u:alice}:\($0)" }
        channels.forEach { self.rig.machine.want($0) }
        XCTAssertEqual(self.rig.machine.flush(), [.ssubscribe(N.m7102, slot(5797), ["{u:alice}:1", "{u:alice}:2"])])
        _ = self.rig.machine.received(.ssubscribe("{u:alice}:1"), from: N.m7102)
        XCTAssertEqual(
            self.rig.machine.received(.ssubscribe("{u:alice}:2"), from: N.m7102),
            [
                .subscribed(["{u:alice}:1", "{u:alice}:2"]),
                .ssubscribe(N.m7102, slot(5797), ["{u:alice}:3", "{u:alice}:4"]),
            ])
        let rest = self.rig.perform([.ssubscribe(N.m7102, slot(5797), ["{u:alice}:3", "{u:alice}:4"])])
        XCTAssertEqual(rest.ssubscribes.last?.2, ["{u:alice}:5"])
        XCTAssertEqual(rest.firstSubscribed, ["{u:alice}:3", "{u:alice}:4", "{u:alice}:5"])
    }
}
