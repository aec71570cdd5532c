import Foundation
import WSBridgeProtocol
import XCTest

/// The status object's JSON form: the member names scripts rely on, and how it grows.
final class DaemonStatusTests: XCTestCase {
    private let status = DaemonStatus(
        node: "host1", version: "1.0.0", uptimeSeconds: 61, phase: "ready", auth: "app",
        listen: .init(websocket: "127.0.0.1:8080", path: "/ws", scheme: "ws", admin: nil, appSocket: "/run/wsbridge/app.sock"),
        broker: .init(kind: "embedded", target: "embedded", linked: true, reconnects: 0, durable: true, probeMisses: 0),
        history: .init(streamsTracked: 1, catchups: 2, recoveredMessages: 3, recoveries: 4, gaps: 5, sessionGaps: 6),
        connections: .init(websocket: 2, tcp: 3, sessions: 4), users: 1,
        apps: [.init(name: "chat", pid: 42, uid: 1000, paths: ["/ws"], connections: 2)],
        limitsHit: ["max_connections": 0, "app_slow_consumer": 0], counters: ["upgrades": 7])

    private func encoded() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self.status), as: UTF8.self)
    }

    func testTheMembersHaveTheirDocumentedNames() throws {
        XCTAssertEqual(
            try self.encoded(),
            #"{"apps":[{"connections":2,"name":"chat","paths":["/ws"],"pid":42,"uid":1000}],"auth":"app","#
                + #""broker":{"durable":true,"kind":"embedded","linked":true,"probe_misses":0,"reconnects":0,"target":"embedded"},"#
                + #""connections":{"sessions":4,"tcp":3,"websocket":2},"counters":{"upgrades":7},"#
                + #""history":{"catchups":2,"gaps":5,"recovered_messages":3,"recoveries":4,"session_gaps":6,"streams_tracked":1},"#
                + #""limits_hit":{"app_slow_consumer":0,"max_connections":0},"#
                + #""listen":{"admin":null,"app_socket":"/run/wsbridge/app.sock","path":"/ws","scheme":"ws","websocket":"127.0.0.1:8080"},"#
                + #""node":"host1","phase":"ready","uptime_seconds":61,"users":1,"version":"1.0.0"}"#)
    }

    func testWhatIsWrittenReadsBack() throws {
        let decoded = try JSONDecoder().decode(DaemonStatus.self, from: Data(try self.encoded().utf8))
        XCTAssertEqual(decoded, self.status)
    }

    func testAReaderIgnoresMembersANewerDaemonAdds() throws {
        // A kind of connection this reader does not know yet.
        let newer = try self.encoded().replacingOccurrences(
            of: #""connections":{"sessions":4,"#, with: #""connections":{"quic":9,"sessions":4,"#)
        XCTAssertNotEqual(newer, try self.encoded())
        let decoded = try JSONDecoder().decode(DaemonStatus.self, from: Data(newer.utf8))
        XCTAssertEqual(decoded.connections, self.status.connections)
    }

    func testAStatusWithoutTheStreamsCountReadsAsNilAndIsWrittenWithout() throws {
        XCTAssertNil(self.status.connections.sse, "the fixture is a daemon from before the fallback")
        XCTAssertFalse(try self.encoded().contains(#""sse":"#))
        var newer = self.status
        newer.connections.sse = 2
        let encoded = String(decoding: try JSONEncoder().encode(newer), as: UTF8.self)
        XCTAssertTrue(encoded.contains(#""sse":2"#), encoded)
        XCTAssertEqual(try JSONDecoder().decode(DaemonStatus.self, from: Data(encoded.utf8)).connections.sse, 2)
    }
}
