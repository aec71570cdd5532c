import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WSBridgeProtocol
import XCTest

@testable import WSBridgeDaemon

final class PresenceServiceTests: XCTestCase {
    /// Where the caller's stack is: the same place for the same chain of calls on the same thread, lower
    /// the deeper the chain.
    @inline(never)
    private static func stackDepth() -> Int {
        var marker = 0
        return withUnsafeMutablePointer(to: &marker) { -Int(bitPattern: UInt(bitPattern: $0)) }
    }

    /// With the embedded broker every user's first and last session sends an event. Each one is a
    /// plain call: the closure that sends them does not grow with each use (it did, by two
    /// reabstraction thunks per event, so each call went down a chain as long as all events so far).
    func testEventsWithTheEmbeddedBrokerDoNotGrowTheCallChain() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let service = PresenceService(redis: nil, eventLoop: loop, node: "n1", ttl: .seconds(30), heartbeat: .seconds(10))
        let seen = NIOLockedValueBox<(events: [AppPresenceEvent], depths: [Int])>(([], []))
        service.deliverEvents(
            to: { event in
                let depth = Self.stackDepth()
                seen.withLockedValue {
                    $0.events.append(event)
                    $0.depths.append(depth)
                }
            },
            listening: { true })
        for index in 0..<1_000 {
            service.ledger.sessionAdded("u\(index)")
            service.ledger.sessionRemoved("u\(index)")
        }
        try loop.submit {}.wait()  // the events are sent from the loop, in order
        let (events, depths) = seen.withLockedValue { $0 }
        XCTAssertEqual(events.count, 2_000)
        XCTAssertEqual(events.prefix(2), [AppPresenceEvent(online: true, user: "u0"), AppPresenceEvent(online: false, user: "u0")])
        XCTAssertEqual(events.last, AppPresenceEvent(online: false, user: "u999"))
        XCTAssertEqual(depths.last, depths.first, "the 2,000th event is sent as directly as the first")
    }
}
