import NIOCore
import WSBridgeCore
@testable import WSBridgeEdge
import XCTest

/// The `wsbridge.v1` subprotocol on one connection: negotiation, JSON frames with positions.
final class SubprotocolTests: XCTestCase {
    private func delivery(_ data: String, to target: DeliveryTarget, at positions: [StreamPosition] = [], binary: Bool = false) -> Delivery {
        let payload = binary ? ByteBuffer(bytes: [0, 1, 2]) : ByteBuffer(string: data)
        let envelope = Envelope(
            target: target, payload: payload, isBinary: binary, data: ByteBuffer(string: binary ? #""AAEC""# : data),
            positions: positions)
        return Delivery(envelope: envelope, source: .redis, arrivedAt: .now())
    }

    private func texts(_ harness: EdgeHarness) throws -> [String] {
        try harness.readFrames().map { frame in
            XCTAssertEqual(frame.opcode, 0x1, "every subprotocol frame is text")
            return String(buffer: frame.payload)
        }
    }

    func testTheSubprotocolIsChosenWhenOfferedAndEveryFrameIsJSONWithAPosition() throws {
        let harness = try self.edgeHarness()
        let response = try harness.handshake(extraHeaders: "Sec-WebSocket-Protocol: chat, wsbridge.v1\r\n")
        XCTAssertTrue(response.contains("HTTP/1.1 101"), response)
        XCTAssertTrue(response.contains("\r\nSec-WebSocket-Protocol: wsbridge.v1\r\n"), response)
        XCTAssertTrue(response.hasSuffix(#"{"type":"ready","pos":".","recovered":0}"#), "ready right after the 101: \(response)")

        let at1 = [StreamPosition(epoch: "e", offset: 1)]
        harness.router.dispatch([self.delivery(#""hi""#, to: .user("alice"), at: at1)])
        harness.router.dispatch([self.delivery(#""hi""#, to: .user("alice"), at: at1)])
        harness.router.dispatch([self.delivery(#"{"n":1}"#, to: .all)])
        harness.router.dispatch([self.delivery("", to: .all, at: [StreamPosition(epoch: "a", offset: 7)], binary: true)])
        XCTAssertEqual(try self.texts(harness), [
            #"{"type":"message","pos":"e-1.","data":"hi"}"#,
            #"{"type":"message","data":{"n":1}}"#,
            #"{"type":"message","pos":"e-1.a-7","data":"AAEC","binary":true}"#,
        ], "the duplicate at e-1 was dropped; the best-effort message has no position")
    }

    func testWithoutTheSubprotocolTheClientGetsRawPayloads() throws {
        let harness = try self.edgeHarness()
        let response = try harness.handshake()
        XCTAssertFalse(response.contains("Sec-WebSocket-Protocol"), response)
        harness.router.dispatch([self.delivery(#""hi""#, to: .user("alice"), at: [StreamPosition(epoch: "e", offset: 1)])])
        XCTAssertEqual(try harness.readFrames().map { String(buffer: $0.payload) }, [#""hi""#])
    }

    func testAMalformedSinceIsA400BeforeTheUpgrade() throws {
        let harness = try self.edgeHarness()
        let response = try harness.handshake(
            path: "/ws?user=alice&since=garbage", extraHeaders: "Sec-WebSocket-Protocol: wsbridge.v1\r\n")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 400"), response)
        XCTAssertTrue(response.contains("since"), response)
    }

    func testASinceWithoutTheSubprotocolIsIgnored() throws {
        let harness = try self.edgeHarness()
        XCTAssertTrue(try harness.handshake(path: "/ws?user=alice&since=garbage").contains("HTTP/1.1 101"))
    }

    func testAnAppsSendIsAMessageWithoutPosition() throws {
        let frame = SubprotocolFrame.sent(ByteBuffer(string: "a \"quote\""), isBinary: false, allocator: .init())
        var copy = frame
        copy.moveReaderIndex(forwardBy: 2)
        XCTAssertEqual(String(buffer: copy), #"{"type":"message","data":"a \"quote\""}"#)
        XCTAssertEqual(frame.readableBytes, ServerFrame.encodedSize(payloadLength: copy.readableBytes), "the header's length is exact")
    }

    func testAGapFrameSaysWhatIsKnown() {
        let gap = StreamGap(
            stream: .user("alice"), reason: .historyTrimmed, after: StreamPosition(epoch: "e", offset: 3),
            resumesAfter: StreamPosition(epoch: "e", offset: 9))
        var frame = SubprotocolFrame.gap(gap, stream: .user, position: SessionPosition(user: StreamPosition(epoch: "e", offset: 9)), allocator: .init())
        frame.moveReaderIndex(forwardBy: 2)
        XCTAssertEqual(
            String(buffer: frame),
            #"{"type":"gap","stream":"user","reason":"history_trimmed","after":"e-3","missed":6,"pos":"e-9."}"#)
    }
}
