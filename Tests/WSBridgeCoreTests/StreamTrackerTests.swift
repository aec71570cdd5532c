import NIOCore
import WSBridgeCore
import XCTest

final class StreamTrackerTests: XCTestCase {
    private var tracker = StreamTracker(parser: EnvelopeParser(), fetchBatchSize: 500)

    /// Answers every fetch the tracker wants with the positions in `tops` (epoch, top) and no history.
    private func settlePositions(_ tops: [StreamID: StreamPosition]) {
        for action in self.tracker.takeFetches() {
            guard case .fetch(let id, let requests) = action else { continue }
            let replies = requests.map { request -> StreamTracker.HistoryReply in
                let top = tops[request.stream] ?? pos("e", 0)
                return .init(epoch: top.epoch, top: top.offset, first: top.offset + 1, entries: [])
            }
            _ = self.tracker.fetchReplied(id, .success(replies), now: .now())
        }
    }

    private func dispatched(_ actions: [StreamTracker.Action]) -> [String] {
        actions.flatMap { action -> [String] in
            if case .dispatch(let deliveries) = action { return deliveries.map(\.text) }
            return []
        }
    }

    private func fetches(_ actions: [StreamTracker.Action]) -> [(StreamTracker.FetchID, [StreamTracker.HistoryRequest])] {
        actions.compactMap { action in
            if case .fetch(let id, let requests) = action { return (id, requests) }
            return nil
        }
    }

    private func entry(_ text: String, user: String) -> ByteBuffer {
        ByteBuffer(string: #"{"user":"\#(user)","data":"\#(text)"}"#)
    }

    func testANewUsersPositionIsReadOnceAndMessagesInOrderPass() {
        self.tracker.userAppeared("alice")
        self.tracker.userAppeared("alice")  // a second shard
        let wanted = self.fetches(self.tracker.takeFetches()).flatMap(\.1).map(\.stream)
        XCTAssertEqual(Set(wanted), [.all, .user("alice")])
        XCTAssertEqual(wanted.count, 2, "one position read per stream")
        XCTAssertTrue(self.tracker.takeFetches().isEmpty)
    }

    func testMessagesInOrderPassAndDuplicatesAreDropped() {
        self.tracker.userAppeared("alice")
        self.settlePositions([.user("alice"): pos("e", 4), .all: pos("a", 0)])
        let actions = self.tracker.received([
            DeliveryFactory.user("alice", "5", "e", 5), DeliveryFactory.user("alice", "5 again", "e", 5),
            DeliveryFactory.user("alice", "6", "e", 6), DeliveryFactory.make("best effort", to: .user("alice")),
        ])
        XCTAssertEqual(self.dispatched(actions), ["5", "6", "best effort"])
        XCTAssertEqual(self.tracker.cursor(of: .user("alice")), pos("e", 6))
    }

    func testAStreamNobodyHereHoldsIsPassedOn() {
        self.settlePositions([:])
        XCTAssertEqual(self.dispatched(self.tracker.received([DeliveryFactory.user("bob", "hi", "e", 40)])), ["hi"])
        XCTAssertFalse(self.tracker.tracks(.user("bob")))
    }

    func testAHoleHoldsTheStreamFetchesWhatIsMissingAndDeliversItAllInOrder() {
        self.tracker.userAppeared("alice")
        self.settlePositions([.user("alice"): pos("e", 1)])
        XCTAssertEqual(self.dispatched(self.tracker.received([DeliveryFactory.user("alice", "4", "e", 4)])), [])
        XCTAssertEqual(self.dispatched(self.tracker.received([DeliveryFactory.user("alice", "5", "e", 5)])), [], "held behind the hole")
        let fetch = self.fetches(self.tracker.takeFetches())
        XCTAssertEqual(fetch.count, 1)
        XCTAssertEqual(fetch[0].1, [.init(stream: .user("alice"), since: pos("e", 1))])
        let reply = StreamTracker.HistoryReply(
            epoch: "e", top: 4, first: 2, entries: ["2", "3", "4"].map { self.entry($0, user: "alice") })
        let actions = self.tracker.fetchReplied(fetch[0].0, .success([reply]), now: .now())
        XCTAssertEqual(self.dispatched(actions), ["2", "3", "4", "5"])
        XCTAssertEqual(self.tracker.cursor(of: .user("alice")), pos("e", 5))
        XCTAssertEqual(self.tracker.catchingUpCount, 0)
    }

    func testAUserSubscribedAfterItsPositionWasReadCatchesUpFromIt() {
        self.tracker.userAppeared("alice")
        self.settlePositions([.user("alice"): pos("e", 4), .all: pos("a", 0)])
        self.tracker.subscribed(["alice", "nobody"])
        let requests = self.fetches(self.tracker.takeFetches()).flatMap(\.1)
        XCTAssertEqual(requests.map(\.stream), [.user("alice")], "only streams held here, and only once")
        XCTAssertEqual(requests.first?.since, pos("e", 4), "from the position read before the subscription")
        self.tracker.subscribed(["alice"])
        XCTAssertTrue(self.tracker.takeFetches().isEmpty, "a stream catching up is not asked again")
    }

    func testAUserSubscribedWhileItsPositionIsReadCatchesUpOnceItIsKnown() {
        self.tracker.userAppeared("bob")
        let reads = self.fetches(self.tracker.takeFetches())
        self.tracker.subscribed(["bob"])
        XCTAssertTrue(self.tracker.takeFetches().isEmpty, "no position yet to catch up from")
        for (id, requests) in reads {
            let replies = requests.map { _ in StreamTracker.HistoryReply(epoch: "e", top: 7, first: 8, entries: []) }
            _ = self.tracker.fetchReplied(id, .success(replies), now: .now())
        }
        let catchUp = self.fetches(self.tracker.takeFetches()).flatMap(\.1)
        XCTAssertEqual(catchUp.map(\.stream), [.user("bob")])
        XCTAssertEqual(catchUp.first?.since, pos("e", 7), "the read may have come before the subscription")
    }

    func testTheSubscriptionComingBackCatchesUpEveryStreamAndReportsWhatTheHistoryNoLongerHas() {
        self.tracker.userAppeared("alice")
        self.settlePositions([.user("alice"): pos("e", 3), .all: pos("a", 10)])
        self.tracker.linkUp()
        let fetch = self.fetches(self.tracker.takeFetches())
        XCTAssertEqual(Set(fetch.flatMap(\.1)), [.init(stream: .user("alice"), since: pos("e", 3)), .init(stream: .all, since: pos("a", 10))])
        let replies = fetch[0].1.map { request -> StreamTracker.HistoryReply in
            request.stream == .all
                ? .init(epoch: "a", top: 10, first: 11, entries: [])
                : .init(epoch: "e", top: 9, first: 8, entries: ["8", "9"].map { self.entry($0, user: "alice") })
        }
        let actions = self.tracker.fetchReplied(fetch[0].0, .success(replies), now: .now())
        let gaps = actions.compactMap { action -> StreamGap? in
            if case .gap(let gap) = action { return gap }
            return nil
        }
        XCTAssertEqual(gaps, [StreamGap(stream: .user("alice"), reason: .historyTrimmed, after: pos("e", 3), resumesAfter: pos("e", 7))])
        XCTAssertEqual(gaps.first?.missed, 4)
        XCTAssertEqual(self.dispatched(actions), ["8", "9"])
    }

    func testANewEpochIsAGapAndWhatItHoldsIsDelivered() {
        self.tracker.userAppeared("alice")
        self.settlePositions([.user("alice"): pos("old", 50)])
        XCTAssertEqual(self.dispatched(self.tracker.received([DeliveryFactory.user("alice", "n2", "new", 2)])), [])
        let fetch = self.fetches(self.tracker.takeFetches())
        let reply = StreamTracker.HistoryReply(epoch: "new", top: 2, first: 1, entries: ["n1", "n2"].map { self.entry($0, user: "alice") })
        let actions = self.tracker.fetchReplied(fetch[0].0, .success([reply]), now: .now())
        guard case .gap(let gap) = actions.first else { return XCTFail("no gap first: \(actions)") }
        XCTAssertEqual(gap.reason, .historyLost)
        XCTAssertEqual(gap.resumesAfter, pos("new", 0))
        XCTAssertEqual(self.dispatched(actions), ["n1", "n2"], "the held n2 is not delivered twice")
    }

    func testAUsersMessageGoesOnForTheStreamsInOrderAndWaitsForTheOthers() {
        self.tracker.userAppeared("alice")
        self.tracker.userAppeared("bob")
        self.settlePositions([.user("alice"): pos("e", 1), .user("bob"): pos("e", 1)])
        let message = DeliveryFactory.make("hi", to: .users(["alice", "bob", "carol"]), at: [pos("e", 2), pos("e", 5), pos("e", 9)])
        let actions = self.tracker.received([message])
        guard case .dispatch(let out)? = actions.first else { return XCTFail() }
        XCTAssertEqual(out.map(\.target), [.users(["alice", "carol"])], "bob has a hole; carol is nobody's here")
        XCTAssertEqual(out.first?.positions, [pos("e", 2), pos("e", 9)])
        XCTAssertEqual(self.tracker.catchingUpCount, 1)
    }

    func testAFailedFetchIsRetriedOnlyWhenAsked() {
        self.tracker.userAppeared("alice")
        let fetch = self.fetches(self.tracker.takeFetches())
        let actions = self.tracker.fetchReplied(fetch[0].0, .failure(.failed("link down")), now: .now())
        guard case .retryLater? = actions.first else { return XCTFail("\(actions)") }
        XCTAssertTrue(self.tracker.takeFetches().isEmpty, "no tight loop: nothing is sent again before retry()")
        self.tracker.retry()
        XCTAssertEqual(self.fetches(self.tracker.takeFetches()).flatMap(\.1).count, 2)
    }

    func testFetchesComeInBatches() {
        var tracker = StreamTracker(parser: EnvelopeParser(), fetchBatchSize: 3)
        for index in 0..<7 {
            tracker.userAppeared("u\(index)")
        }
        let sizes = tracker.takeFetches().compactMap { action -> Int? in
            if case .fetch(_, let requests) = action { return requests.count }
            return nil
        }
        XCTAssertEqual(sizes, [3, 3, 2], "7 users and all")
    }

    func testARecoveryIsAnsweredAtOnceWhenTheNodeKnowsWhereTheStreamsAre() {
        self.tracker.userAppeared("alice")
        self.settlePositions([.user("alice"): pos("e", 4), .all: pos("a", 2)])
        let actions = self.tracker.recover(7, user: "alice", since: nil)
        guard case .recovered(7, let recovery)? = actions.first else { return XCTFail("\(actions)") }
        XCTAssertEqual(recovery.parts.map(\.end), [pos("e", 4), pos("a", 2)])
    }

    func testARecoveryFromSinceReadsTheHistory() {
        self.tracker.userAppeared("alice")
        self.settlePositions([.user("alice"): pos("e", 4), .all: pos("a", 2)])
        XCTAssertTrue(self.tracker.recover(7, user: "alice", since: SessionPosition(user: pos("e", 2), all: pos("a", 2))).isEmpty)
        let fetch = self.fetches(self.tracker.takeFetches())
        XCTAssertEqual(fetch.flatMap(\.1), [.init(stream: .user("alice"), since: pos("e", 2))], "all is where the node is")
        let reply = StreamTracker.HistoryReply(epoch: "e", top: 4, first: 3, entries: ["3", "4"].map { self.entry($0, user: "alice") })
        let actions = self.tracker.fetchReplied(fetch[0].0, .success([reply]), now: .now())
        guard case .recovered(7, let recovery)? = actions.first else { return XCTFail("\(actions)") }
        XCTAssertEqual(recovery.parts[0].entries.map(\.text), ["3", "4"])
        XCTAssertEqual(recovery.parts[0].entries.map(\.positions), [[pos("e", 3)], [pos("e", 4)]])
        XCTAssertNil(recovery.parts[0].gap)
    }

    func testWithoutHistorySessionsAreAnsweredWithoutPositions() {
        self.tracker.userAppeared("alice")
        let fetch = self.fetches(self.tracker.takeFetches())
        _ = self.tracker.fetchReplied(fetch[0].0, .failure(.unavailable), now: .now())
        XCTAssertFalse(self.tracker.historyAvailable)
        guard case .recovered(1, let recovery)? = self.tracker.recover(1, user: "alice", since: nil).first else {
            return XCTFail()
        }
        XCTAssertTrue(recovery.parts.allSatisfy { $0.end == nil })
    }

    func testTheAuditFindsAStreamThatWentOnUnheard() {
        self.tracker.userAppeared("alice")
        self.settlePositions([.user("alice"): pos("e", 4), .all: pos("a", 0)])
        self.tracker.audit()
        self.settlePositions([.user("alice"): pos("e", 6), .all: pos("a", 0)])
        XCTAssertEqual(self.tracker.catchingUpCount, 1)
        XCTAssertEqual(self.fetches(self.tracker.takeFetches()).flatMap(\.1), [.init(stream: .user("alice"), since: pos("e", 4))])
    }

    func testARewoundStreamGoesBackToWhereRedisIsAndSaysSo() {
        self.tracker.userAppeared("alice")
        self.settlePositions([.user("alice"): pos("e", 10), .all: pos("a", 0)])
        self.tracker.linkUp()
        let fetch = self.fetches(self.tracker.takeFetches())
        XCTAssertEqual(fetch.count, 1)
        let replies = fetch[0].1.map { request in
            request.stream == .all
                ? StreamTracker.HistoryReply(epoch: "a", top: 0, first: 1, entries: [])
                : StreamTracker.HistoryReply(epoch: "e", top: 7, first: 8, entries: [])
        }
        let actions = self.tracker.fetchReplied(fetch[0].0, .success(replies), now: .now())
        let gaps = actions.compactMap { action -> StreamGap? in
            if case .gap(let gap) = action { return gap }
            return nil
        }
        guard let gap = gaps.first, gaps.count == 1 else { return XCTFail("\(actions)") }
        XCTAssertEqual(gap, StreamGap(stream: .user("alice"), reason: .historyLost, after: pos("e", 10), resumesAfter: pos("e", 7)))
        XCTAssertEqual(self.tracker.cursor(of: .user("alice")), pos("e", 7))
        XCTAssertEqual(
            self.dispatched(self.tracker.received([DeliveryFactory.user("alice", "a new 8", "e", 8)])), ["a new 8"],
            "offset 8 again, but another message: not a duplicate")
    }

    func testTheAuditNoticesARewoundStream() {
        self.tracker.userAppeared("alice")
        self.settlePositions([.user("alice"): pos("e", 10), .all: pos("a", 0)])
        self.tracker.audit()
        self.settlePositions([.user("alice"): pos("e", 7), .all: pos("a", 0)])
        XCTAssertEqual(self.tracker.catchingUpCount, 1)
    }

    func testAUserWhoLeftEverywhereIsNoLongerTracked() {
        self.tracker.userAppeared("alice")
        self.tracker.userAppeared("alice")
        self.tracker.userLeft("alice")
        XCTAssertTrue(self.tracker.tracks(.user("alice")))
        self.tracker.userLeft("alice")
        XCTAssertFalse(self.tracker.tracks(.user("alice")))
    }
}
