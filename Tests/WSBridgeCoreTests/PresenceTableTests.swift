import WSBridgeCore
import XCTest

final class PresenceTableTests: XCTestCase {
    private func entries(_ pairs: [(String, Int)]) -> [PresenceWrite.Entry] {
        pairs.map { PresenceWrite.Entry(user: $0.0, sessions: $0.1) }
    }

    func testTheFirstWriteReplacesAndLaterOnesCarryOnlyTheChangedUsers() {
        var table = PresenceTable()
        XCTAssertEqual(table.add("alice"), .online)
        XCTAssertEqual(table.add("alice"), .unchanged)
        XCTAssertEqual(table.add("bob"), .online)
        let first = table.nextWrite(refresh: false)
        XCTAssertEqual(first, PresenceWrite(replace: true, entries: self.entries([("alice", 2), ("bob", 1)])))
        XCTAssertNil(table.nextWrite(refresh: true), "one write in flight at a time")
        XCTAssertEqual(table.remove("bob"), .offline)
        XCTAssertEqual(table.remove("alice"), .unchanged)
        table.written(first!, wasAlive: false)
        let second = table.nextWrite(refresh: false)
        XCTAssertEqual(second, PresenceWrite(replace: false, entries: self.entries([("alice", 1), ("bob", 0)])))
        table.written(second!, wasAlive: true)
        XCTAssertNil(table.nextWrite(refresh: false), "nothing changed")
        XCTAssertEqual(table.nextWrite(refresh: true), PresenceWrite(replace: false, entries: []), "a heartbeat")
    }

    func testAFailedWriteOrALostEntryOrALinkBackReplacesEverything() {
        var table = PresenceTable()
        _ = table.add("alice")
        let first = table.nextWrite(refresh: false)!
        table.failed(first)
        XCTAssertEqual(table.nextWrite(refresh: false)?.replace, true, "after a failure, what landed is unknown")
        var healthy = PresenceTable()
        _ = healthy.add("alice")
        healthy.written(healthy.nextWrite(refresh: false)!, wasAlive: false)
        let beat = healthy.nextWrite(refresh: true)!
        XCTAssertFalse(beat.replace)
        healthy.written(beat, wasAlive: false)
        XCTAssertEqual(
            healthy.nextWrite(refresh: false), PresenceWrite(replace: true, entries: self.entries([("alice", 1)])),
            "Redis had forgotten the node (expired, restarted): the whole entry again")
        healthy.written(PresenceWrite(replace: true, entries: []), wasAlive: false)
        healthy.linkRestored()
        XCTAssertEqual(healthy.nextWrite(refresh: false)?.replace, true)
    }

    func testWithoutAReporterOnlyTheCountsAreKept() {
        let wakes = LockedList<Int>()
        let ledger = PresenceLedger(pending: { wakes.append(1) }, tracksChanges: false)
        for index in 0..<100 {
            ledger.sessionAdded("u\(index)")
            ledger.sessionRemoved("u\(index)")
        }
        ledger.sessionAdded("kept")
        XCTAssertEqual(ledger.userCount, 1, "users without sessions are forgotten")
        XCTAssertEqual(wakes.items.count, 0, "nothing waits for a write")
        var table = PresenceTable(tracksChanges: false)
        _ = table.add("a")
        XCTAssertFalse(table.hasPendingChanges)
    }

    func testRemovingAUserWithoutSessionsChangesNothing() {
        var table = PresenceTable()
        XCTAssertEqual(table.remove("ghost"), .unchanged)
        XCTAssertEqual(table.sessions(of: "ghost"), 0)
        XCTAssertEqual(table.nextWrite(refresh: false), PresenceWrite(replace: true, entries: []))
    }

    func testTheLedgerTellsTransitionsInOrderAndWakesTheReporterOncePerWrite() {
        let transitions = LockedList<String>()
        let wakes = LockedList<Int>()
        let ledger = PresenceLedger(
            transition: { user, transition in transitions.append("\(transition == .online ? "+" : "-")\(user)") },
            pending: { wakes.append(1) })
        ledger.sessionAdded("alice")
        ledger.sessionAdded("alice")
        ledger.sessionRemoved("alice")
        ledger.sessionRemoved("alice")
        XCTAssertEqual(transitions.items, ["+alice", "-alice"])
        XCTAssertEqual(wakes.items.count, 1, "one wake until the reporter takes a write")
        let write = ledger.nextWrite(refresh: false)!
        ledger.sessionAdded("bob")
        XCTAssertEqual(wakes.items.count, 2, "changes after the take wake it again")
        ledger.written(write, wasAlive: true)
        XCTAssertEqual(ledger.sessions(of: ["alice", "bob"]), [0, 1])
        XCTAssertEqual(ledger.nextWrite(refresh: false), PresenceWrite(replace: false, entries: self.entries([("bob", 1)])))
    }
}

/// A list appended to from any thread.
final class LockedList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Element] = []

    func append(_ element: Element) {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.storage.append(element)
    }

    var items: [Element] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.storage
    }
}
