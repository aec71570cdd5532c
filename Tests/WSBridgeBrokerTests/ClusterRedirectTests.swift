import WSBridgeBroker
import XCTest

/// The error replies below are those redis-server 7.0.15 sent in docs/scaling.md's measurements.
final class ClusterRedirectTests: XCTestCase {
    private func parse(_ reply: String) throws -> ClusterRedirect? {
        try ClusterRedirect.parse(reply)
    }

    func testMovedNamesTheSlotAndItsNewOwner() throws {
        // SSUBSCRIBE {u:alice}:a sent to 7101 while 7102 owned slot 5797.
        let redirect = try XCTUnwrap(self.parse("MOVED 5797 127.0.0.1:7102"))
        XCTAssertEqual(
            redirect, ClusterRedirect(kind: .moved, slot: HashSlot(5797)!, host: .named("127.0.0.1"), port: 7102))
        XCTAssertEqual(redirect.target(askedHost: "10.0.0.9")?.host, "127.0.0.1")
        XCTAssertEqual(redirect.target(askedHost: "10.0.0.9")?.port, 7102)
    }

    func testAskIsTold() throws {
        // FCALL with a key already migrated, sent to the slot's source while it was MIGRATING.
        let redirect = try XCTUnwrap(self.parse("ASK 5797 127.0.0.1:7101"))
        XCTAssertEqual(redirect.kind, .ask)
        XCTAssertEqual(redirect.slot, HashSlot(5797))
        XCTAssertEqual(redirect.port, 7101)
    }

    func testAnIPv6HostKeepsItsColons() throws {
        let redirect = try XCTUnwrap(self.parse("MOVED 0 ::1:6381"))
        XCTAssertEqual(redirect.host, .named("::1"))
        XCTAssertEqual(redirect.port, 6381)
        XCTAssertEqual(redirect.slot, HashSlot(0))
    }

    func testAnEmptyHostMeansTheHostAsked() throws {
        // cluster-preferred-endpoint-type unknown-endpoint
        let redirect = try XCTUnwrap(self.parse("MOVED 12182 :7103"))
        XCTAssertEqual(redirect.host, .sameAsAsked)
        XCTAssertEqual(redirect.target(askedHost: "10.0.0.9")?.host, "10.0.0.9")
        XCTAssertEqual(redirect.target(askedHost: "10.0.0.9")?.port, 7103)
    }

    func testAQuestionMarkHostCannotBeReached() throws {
        // cluster-preferred-endpoint-type hostname, and the node announced none
        let redirect = try XCTUnwrap(self.parse("MOVED 12182 ?:7103"))
        XCTAssertEqual(redirect.host, .unknown)
        XCTAssertNil(redirect.target(askedHost: "10.0.0.9"))
    }

    func testOtherErrorsAreNoRedirect() throws {
        XCTAssertNil(try self.parse("CLUSTERDOWN The cluster is down"))
        XCTAssertNil(try self.parse("CROSSSLOT Keys in request don't hash to the same slot"))
        XCTAssertNil(try self.parse("TRYAGAIN Multiple keys request during rehashing of slot"))
        XCTAssertNil(try self.parse("MOVEDX 1 h:1"))
        XCTAssertNil(try self.parse("moved 1 h:1"), "Redis writes the word in capitals")
        XCTAssertNil(try self.parse(""))
    }

    func testMalformedRedirectsAreRefusedWithTheReason() {
        let cases: [(String, String)] = [
            ("MOVED", "0 words after MOVED, expected 2: MOVED"),
            ("MOVED 1", "1 words after MOVED, expected 2: MOVED 1"),
            ("MOVED 1 h:1 extra", "3 words after MOVED, expected 2: MOVED 1 h:1 extra"),
            ("MOVED  1 h:1", "3 words after MOVED, expected 2: MOVED  1 h:1"),
            ("MOVED 16384 h:1", "slot \"16384\" is not in 0...16383: MOVED 16384 h:1"),
            ("ASK -1 h:1", "slot \"-1\" is not in 0...16383: ASK -1 h:1"),
            ("ASK x h:1", "slot \"x\" is not in 0...16383: ASK x h:1"),
            ("MOVED 1 h", "no \":\" in \"h\": MOVED 1 h"),
            ("MOVED 1 h:", "port of \"h:\" is not in 1...65535: MOVED 1 h:"),
            ("MOVED 1 h:0", "port of \"h:0\" is not in 1...65535: MOVED 1 h:0"),
            ("MOVED 1 h:65536", "port of \"h:65536\" is not in 1...65535: MOVED 1 h:65536"),
        ]
        for (reply, detail) in cases {
            XCTAssertThrowsError(try self.parse(reply), reply) { error in
                XCTAssertEqual(error as? ClusterReplyError, .badRedirect(detail), reply)
                XCTAssertEqual("\(error)", "malformed cluster redirection: \(detail)")
            }
        }
    }
}
