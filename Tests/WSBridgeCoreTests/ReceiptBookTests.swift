import NIOCore
import WSBridgeCore
import XCTest

final class ReceiptBookTests: XCTestCase {
    private func report(_ id: UInt64, _ node: String, _ users: [String: Int]) -> ReceiptReport {
        ReceiptReport(id: id, node: node, total: users.values.reduce(0, +), users: users)
    }

    func testAReceiptCompletesWhenTheLastExpectedHostReports() {
        var book = ReceiptBook()
        book.open(1, users: ["alice", "bob", "carol"], holders: ["alice": ["h1", "h2"], "bob": [], "carol": ["h2"]], expected: ["h1", "h2"])
        XCTAssertNil(book.report(self.report(1, "h1", ["alice": 1])))
        XCTAssertNil(book.report(self.report(1, "h1", ["alice": 1])), "a host counts once")
        let summary = book.report(self.report(1, "h2", ["alice": 2, "carol": 1]))
        XCTAssertEqual(
            summary,
            ReceiptBook.Summary(
                sessions: 4, hosts: 2, unknownHosts: 0,
                users: [.init(user: "alice", sessions: 3, hosts: 2), .init(user: "bob", sessions: 0, hosts: 0), .init(user: "carol", sessions: 1, hosts: 1)],
                offline: ["bob"]))
        XCTAssertEqual(book.count, 0)
        XCTAssertNil(book.report(self.report(1, "h3", ["bob": 1])), "a report after the summary is ignored")
    }

    func testASilentHostIsUnknownAndItsUsersAreNotCalledOffline() {
        var book = ReceiptBook()
        book.open(2, users: ["alice", "bob"], holders: ["alice": ["h1"], "bob": ["h2"]], expected: ["h1", "h2"])
        XCTAssertNil(book.report(self.report(2, "h1", [:])), "h1 held alice but reached nobody (she left)")
        let summary = book.close(2)
        XCTAssertEqual(summary?.unknownHosts, 1)
        XCTAssertEqual(summary?.sessions, 0)
        XCTAssertEqual(summary?.offline, ["alice"], "bob's only host never answered: not known to be offline")
        XCTAssertNil(book.close(2), "closed once")
    }

    func testAnUnexpectedHostCountsButCompletesNothingAndAllWaitsForEveryHost() {
        var book = ReceiptBook()
        book.open(3, users: nil, holders: [:], expected: ["h1", "h2"])
        XCTAssertNil(book.report(self.report(3, "h9", ["x": 0])))
        XCTAssertNil(book.report(ReceiptReport(id: 3, node: "h1", total: 5, users: [:])))
        let summary = book.report(ReceiptReport(id: 3, node: "h2", total: 0, users: [:]))
        XCTAssertEqual(summary, ReceiptBook.Summary(sessions: 5, hosts: 1, unknownHosts: 0, users: [], offline: []))
        book.open(4, users: ["a"], holders: [:], expected: ["h1"])
        book.cancel(4)
        XCTAssertNil(book.close(4))
    }

    func testReceiptRequestsAndReportsReadBackWhatIsWritten() throws {
        let request = ReceiptRequest(replyTo: "h\"1", id: 42, hosts: ["h2", "h3"])
        XCTAssertEqual(ReceiptRequest(request.text), request)
        XCTAssertNil(ReceiptRequest("h1"))
        XCTAssertNil(ReceiptRequest("h1 x"))
        let pieces = ReceiptRequest(replyTo: "h1", id: 7, hosts: ["h2"], pieces: 3)
        XCTAssertEqual(pieces.text, "h1 7/3 h2", "a publish cut into pieces says how many")
        XCTAssertEqual(ReceiptRequest(pieces.text), pieces)
        XCTAssertEqual(ReceiptRequest("h1 7/1")?.pieces, 1)
        XCTAssertEqual(request.text, "h\"1 42 h2 h3", "one piece is written as before")
        for broken in ["h1 7/", "h1 7/0", "h1 7/x", "h1 /3", "h1 7/10001"] {
            XCTAssertNil(ReceiptRequest(broken), broken)
        }
        let stamped = request.stamp(ByteBuffer(string: #"{"user":"a","data":1}"#))
        XCTAssertEqual(String(buffer: stamped), #"{"wsr":"h\"1 42 h2 h3","user":"a","data":1}"#)
        let envelope = try EnvelopeParser().parse(stamped).get()
        XCTAssertEqual(envelope.receipt, request)
        XCTAssertEqual(envelope.target, .user("a"))
        XCTAssertNil(try EnvelopeParser().parse(ByteBuffer(string: #"{"wsr":7,"user":"a","data":1}"#)).get().receipt,
                     "a broken request costs the receipt, not the message")
        let report = ReceiptReport(id: 9, node: "h2", total: 3, users: ["a": 2, "b\\": 1])
        XCTAssertEqual(ReceiptReport(json: report.json), report)
        XCTAssertNil(ReceiptReport(json: ByteBuffer(string: #"{"id":"x"}"#)))
    }

    func testTheTallyReportsOnceEveryShardCounted() {
        let reports = LockedList<String>()
        let tally = ReceiptTally(request: ReceiptRequest(replyTo: "h1", id: 1, hosts: []), users: ["a", "b"], shards: 2) {
            _, total, users in
            reports.append("\(total) \(users.sorted { $0.key < $1.key })")
        }
        tally.counted(shard: 0, total: 2, users: [("a", 2), ("b", 0)])
        tally.counted(shard: 0, total: 5, users: [("a", 5)])
        XCTAssertEqual(reports.items.count, 0, "a shard's second piece counts nothing")
        tally.counted(shard: 1, total: 1, users: [("a", 0), ("b", 1)])
        tally.counted(shard: 1, total: 9, users: [("a", 9)])
        XCTAssertEqual(reports.items, [#"3 [(key: "a", value: 2), (key: "b", value: 1)]"#])
    }
}
