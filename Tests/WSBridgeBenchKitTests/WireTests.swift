import Foundation
import NIOCore
import WSBridgeAuth
import XCTest

@testable import WSBridgeBenchKit

final class WireTests: XCTestCase {
    func testStampsRoundTrip() {
        var bytes = [UInt8](repeating: 0, count: 16)
        for value: UInt64 in [0, 1, 0xDEAD_BEEF, UInt64.max, 1_234_567_890_123] {
            bytes.withUnsafeMutableBytes { StampHex.write(value, into: $0, at: 0) }
            XCTAssertEqual(bytes.withUnsafeBytes { StampHex.read($0) }, value)
        }
        let bad = Array("00000000000000g0".utf8)
        XCTAssertNil(bad.withUnsafeBytes { StampHex.read($0) })
    }

    func testRESPPublishOfTheNativeEnvelope() {
        var buffer = ByteBuffer()
        PublishWire.resp(channel: Array("ch".utf8)).write(target: .user(12), stamp: 0xAB, payloadBytes: 20, into: &buffer)
        let text = String(buffer: buffer)
        let head = #"{"user":"u12","data":"00000000000000ab"#
        let envelopeLength = head.utf8.count + 4 + 2
        XCTAssertTrue(text.hasPrefix("*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$\(envelopeLength)\r\n\(head)"), text)
        XCTAssertTrue(text.hasSuffix("\"}\r\n"), text)
        XCTAssertEqual(text.utf8.count, "*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$\(envelopeLength)\r\n".utf8.count + envelopeLength + 2)

        buffer.clear()
        PublishWire.resp(channel: Array("ch".utf8)).write(target: .all, stamp: 1, payloadBytes: 16, into: &buffer)
        XCTAssertTrue(String(buffer: buffer).hasSuffix("$38\r\n{\"all\":true,\"data\":\"0000000000000001\"}\r\n"))
    }

    func testPayloadsAreWordsThatDifferByStampAndNeedNoEscaping() {
        func payload(_ stamp: UInt64) -> String {
            var buffer = ByteBuffer()
            PublishWire.writePayload(stamp: stamp, payloadBytes: 1024, into: &buffer)
            return String(buffer: buffer)
        }
        let first = payload(1)
        XCTAssertEqual(first.utf8.count, 1024)
        XCTAssertTrue(first.dropFirst(16).allSatisfy { $0 == " " || ("a"..."z").contains($0) }, first)
        XCTAssertGreaterThan(Set(first.dropFirst(16).split(separator: " ")).count, 20, "many words, not one repeated")
        XCTAssertNotEqual(first.dropFirst(16), payload(2).dropFirst(16), "every message differs")
        XCTAssertEqual(first, payload(1))
    }

    func testAppPublishFramesAreLengthPrefixedJSON() throws {
        for (target, receipt) in [(PublishWire.Target.user(7), false), (.all, false), (.user(12), true), (.all, true)] {
            var buffer = ByteBuffer()
            PublishWire.app(receipt: receipt).write(target: target, stamp: 5, payloadBytes: 100, into: &buffer)
            let length = try XCTUnwrap(buffer.readInteger(as: UInt32.self))
            XCTAssertEqual(Int(length), buffer.readableBytes)
            let object = try XCTUnwrap(
                JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
            XCTAssertEqual(object["type"] as? String, "publish")
            XCTAssertEqual((object["data"] as? String)?.utf8.count, 100)
            XCTAssertEqual(object["receipt"] as? Bool, receipt ? true : nil)
        }
    }

    func testPresenceQueriesNameConsecutiveUsersAndWrapAround() throws {
        var buffer = ByteBuffer()
        PublishWire.appPresence(batch: 3, users: 10).write(target: .user(8), stamp: 5, payloadBytes: 100, into: &buffer)
        let length = try XCTUnwrap(buffer.readInteger(as: UInt32.self))
        XCTAssertEqual(Int(length), buffer.readableBytes)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
        XCTAssertEqual(object["type"] as? String, "presence")
        XCTAssertEqual(object["users"] as? [String], ["u8", "u9", "u0"])
    }

    func testNchanPublishIsAnHTTPPost() {
        var buffer = ByteBuffer()
        PublishWire.nchanHTTP(pathPrefix: Array("/pub".utf8), host: Array("127.0.0.1:8090".utf8))
            .write(target: .user(3), stamp: 0, payloadBytes: 16, into: &buffer)
        XCTAssertEqual(
            String(buffer: buffer),
            "POST /pub/u3 HTTP/1.1\r\nHost: 127.0.0.1:8090\r\nContent-Type: text/plain\r\nContent-Length: 16\r\n\r\n"
                + "0000000000000000")
    }

    /// Feeds `text` to a counter in every two-piece split and checks the totals come out the same.
    private func assertCounts(_ kind: ReplyCounter.Kind, _ bytes: [UInt8], ok: Int, errors: Int, receivers: Int = 0) throws {
        for split in 0...bytes.count {
            var counter = ReplyCounter(kind: kind)
            var total = ReplyCounter.Counts()
            for part in [bytes[..<split], bytes[split...]] {
                var buffer = ByteBuffer(bytes: part)
                let counts = try counter.consume(&buffer)
                total.ok += counts.ok
                total.errors += counts.errors
                total.receivers += counts.receivers
            }
            XCTAssertEqual(total.ok, ok, "split at \(split)")
            XCTAssertEqual(total.errors, errors, "split at \(split)")
            XCTAssertEqual(total.receivers, receivers, "split at \(split)")
        }
    }

    func testRepliesAreCountedHoweverTheyAreSplit() throws {
        try assertCounts(.resp, Array(":1\r\n:12\r\n-ERR no\r\n+OK\r\n".utf8), ok: 3, errors: 1, receivers: 13)

        var app: [UInt8] = []
        for body in [#"{"type":"ok"}"#, #"{"type":"error","code":"bad_field","message":"x"}"#, #"{"type":"ok","id":2}"#] {
            app += withUnsafeBytes(of: UInt32(body.utf8.count).bigEndian, Array.init) + Array(body.utf8)
        }
        try assertCounts(.app, app, ok: 2, errors: 1)

        let http = "HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello"
            + "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n"
            + "HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno"
        try assertCounts(.http, Array(http.utf8), ok: 2, errors: 1)
    }

    func testJWTsAreAcceptedByTheDaemonsVerifier() throws {
        let secret = "0123456789abcdef0123456789abcdef"
        let minter = JWTMinter(secret: secret, now: Int(Date().timeIntervalSince1970))
        let verifier = try JWTVerifier(hs256Secret: Array(secret.utf8), rs256PublicKeyPEM: nil)
        let token = minter.token(subject: "u42")
        switch verifier.verify(Substring(token)) {
        case .success(let identity): XCTAssertEqual(identity.user, "u42")
        case .failure(let error): XCTFail("\(error)")
        }
    }

    func testHandshakeRequestsCarryTheUser() throws {
        let url = try LoopbackURL(parsing: "ws://127.0.0.1:8080/ws", schemes: ["ws"])
        var spec = LoadSpec(
            target: .wsbridge, url: url, users: 10, sources: try SourceRange(parsing: "127.0.0.1"),
            auth: .insecureQuery, jwtSecret: nil, firstIndex: 0, count: 1, threads: 1, connectConcurrency: 1,
            handshakeTimeoutMillis: 1000, recordLatency: false)
        XCTAssertTrue(String(decoding: spec.handshakeRequest(connection: 13, tokens: nil), as: UTF8.self)
            .hasPrefix("GET /ws?user=u3 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"))
        spec.target = .nchan
        spec.url.path = "/sub"
        XCTAssertTrue(String(decoding: spec.handshakeRequest(connection: 4, tokens: nil), as: UTF8.self)
            .hasPrefix("GET /sub/u4 HTTP/1.1\r\n"))
    }

    func testExpectedDeliveriesPerUser() {
        let plan = PublishPlan(
            messages: 1, rate: nil, window: 1, audience: .randomUser(users: 4), payloadBytes: 100, connections: 10,
            seed: 1)
        // Connections 0..9 over users 0..3: users 0 and 1 hold three, users 2 and 3 two.
        XCTAssertEqual((0..<4).map { plan.connections(ofUser: $0, users: 4) }, [3, 3, 2, 2])
    }
}
