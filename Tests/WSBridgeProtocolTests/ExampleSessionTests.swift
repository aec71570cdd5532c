import NIOCore
import WSBridgeProtocol
import XCTest

/// The example session of `docs/protocol.md`, byte for byte: if the codec changes, this test says the
/// documentation must change with it.
final class ExampleSessionTests: XCTestCase {
    private let allocator = ByteBufferAllocator()

    /// The frame's four length bytes, as hex.
    private func hexPrefix(_ frame: ByteBuffer) -> String {
        frame.readableBytesView.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")
    }

    /// The daemon writes `event` as `json`, and an app reads `json` back (re-encoding it gives the
    /// same bytes: headers come back lower-cased, as written).
    private func assertEvent(_ event: AppEvent, _ json: String, prefix: String, file: StaticString = #filePath, line: UInt = #line) {
        let frame = AppEventEncoder.frame(event, allocator: allocator)
        XCTAssertEqual(hexPrefix(frame), prefix, file: file, line: line)
        let body = frame.getSlice(at: frame.readerIndex + 4, length: frame.readableBytes - 4) ?? ByteBuffer()
        XCTAssertEqual(String(buffer: body), json, file: file, line: line)
        switch AppEventParser.parse(ByteBuffer(string: json)) {
        case .success(let read):
            XCTAssertEqual(String(buffer: AppEventEncoder.encode(read, allocator: allocator)), json, file: file, line: line)
        case .failure(let error):
            XCTFail("an app cannot read \(json): \(error)", file: file, line: line)
        }
    }

    /// The daemon reads `json` as `expected`, and an app's encoder writes `expected` as exactly `json`.
    private func assertRequest(_ json: String, prefix: String, _ expected: AppRequest, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(hexPrefix(framed(json)), prefix, file: file, line: line)
        XCTAssertEqual(try parsed(json, file: file, line: line), expected, file: file, line: line)
        XCTAssertEqual(String(buffer: AppRequestEncoder.encode(expected, allocator: allocator)), json, file: file, line: line)
        XCTAssertEqual(AppRequestEncoder.frame(expected, allocator: allocator), framed(json), file: file, line: line)
    }

    func testTheDocumentedExampleSessionIsWhatTheCodecReadsAndWrites() throws {
        try assertRequest(
            #"{"type":"hello","id":1,"protocol":1,"name":"chat","paths":["/ws"]}"#, prefix: "00 00 00 42",
            .hello(id: RequestID(1), protocolVersion: 1, name: "chat", paths: ["/ws"])
        )
        assertEvent(
            .welcome(id: RequestID(1), node: "web-1", version: "0.1.0", limits: AppLimits()),
            #"{"type":"welcome","id":1,"protocol":1,"node":"web-1","version":"0.1.0","limits":{"max_frame_bytes":1048576,"app_max_queue_bytes":4194304,"max_queue_bytes":4194304,"connect_timeout_ms":5000}}"#,
            prefix: "00 00 00 be"
        )
        assertEvent(
            .connect(
                conn: "c1", path: "/ws", query: "room=42",
                headers: [(name: "Host", value: "example.com"), (name: "Origin", value: "https://example.com")],
                remote: "203.0.113.9:50412", user: nil
            ),
            #"{"type":"connect","conn":"c1","path":"/ws","query":"room=42","headers":{"host":"example.com","origin":"https://example.com"},"remote":"203.0.113.9:50412"}"#,
            prefix: "00 00 00 9a"
        )
        try assertRequest(
            #"{"type":"accept","id":2,"conn":"c1","user":"alice"}"#, prefix: "00 00 00 33",
            .accept(id: RequestID(2), conn: "c1", user: "alice")
        )
        assertEvent(.ok(id: RequestID(2)), #"{"type":"ok","id":2}"#, prefix: "00 00 00 14")
        assertEvent(
            .message(conn: "c1", user: "alice", payload: ByteBuffer(string: "hi \"all\""), isBinary: false),
            #"{"type":"message","conn":"c1","user":"alice","data":"hi \"all\""}"#,
            prefix: "00 00 00 41"
        )
        try assertRequest(
            #"{"type":"publish","id":3,"users":["alice","bob"],"data":{"text":"hi all"}}"#, prefix: "00 00 00 4a",
            .publish(id: RequestID(3), target: .users(["alice", "bob"]), data: .json(ByteBuffer(string: #"{"text":"hi all"}"#)))
        )
        assertEvent(
            .ok(id: RequestID(3), positions: "6b1163c72284a-7,6b1163c7259c1-2"),
            #"{"type":"ok","id":3,"positions":"6b1163c72284a-7,6b1163c7259c1-2"}"#, prefix: "00 00 00 42")
        let bad = #"{"type":"close","id":4,"conn":"c1","code":1001}"#
        XCTAssertEqual(hexPrefix(framed(bad)), "00 00 00 2f")
        XCTAssertEqual(
            String(buffer: AppRequestEncoder.encode(.close(id: RequestID(4), conn: "c1", code: 1001, reason: ""), allocator: allocator)),
            bad,
            "the encoder leaves range checks to the daemon"
        )
        let error = try XCTUnwrap(refusal(bad))
        assertEvent(
            .failure(error),
            #"{"type":"error","id":4,"code":"bad_field","message":"\"code\" must be 1000 or from 3000 to 4999, not 1001"}"#,
            prefix: "00 00 00 6b"
        )
    }
}
