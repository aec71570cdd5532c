import NIOCore
import NIOEmbedded
@testable import WSBridgeClient
import WSBridgeProtocol
import XCTest

/// The handler alone, in an `EmbeddedChannel` below the frame decoder: no sockets.
final class AppClientHandlerTests: XCTestCase {
    private struct Harness {
        let channel: EmbeddedChannel
        let events: AsyncStream<AppEvent>
        let ended: EventLoopFuture<WSBridgeClientError>
    }

    private func harness(maxEventBytes: Int = 1 << 16) throws -> Harness {
        let (events, continuation) = AsyncStream.makeStream(of: AppEvent.self)
        let channel = EmbeddedChannel()
        let ended = channel.eventLoop.makePromise(of: WSBridgeClientError.self)
        try channel.pipeline.syncOperations.addHandlers(
            ByteToMessageHandler(AppFrameDecoder(maxFrameBytes: maxEventBytes)),
            AppClientHandler(events: continuation, ended: ended)
        )
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/wsbridge.sock")).wait()
        return Harness(channel: channel, events: events, ended: ended.futureResult)
    }

    /// Sends the request `make` builds; the future is its reply.
    private func send(_ channel: EmbeddedChannel, _ make: @escaping @Sendable (RequestID) -> AppRequest) -> EventLoopFuture<AppEvent> {
        let reply = channel.eventLoop.makePromise(of: AppEvent.self)
        channel.writeAndFlush(AppClientRequest(make: make, reply: reply), promise: nil)
        return reply.futureResult
    }

    /// The next request written, parsed back.
    private func written(_ channel: EmbeddedChannel, file: StaticString = #filePath, line: UInt = #line) throws -> AppRequest? {
        guard var frame = try channel.readOutbound(as: ByteBuffer.self) else { return nil }
        let length = frame.readInteger(endianness: .big, as: UInt32.self)
        XCTAssertEqual(length.map(Int.init), frame.readableBytes, "the length prefix counts the JSON bytes", file: file, line: line)
        return try AppRequestParser.parse(frame).get()
    }

    /// Feeds `event` to the channel as wsbridge would send it.
    private func receive(_ event: AppEvent, on channel: EmbeddedChannel) throws {
        try channel.writeInbound(AppEventEncoder.frame(event, allocator: channel.allocator))
    }

    private func receive(json: String, on channel: EmbeddedChannel) throws {
        var frame = ByteBuffer()
        frame.writeInteger(UInt32(json.utf8.count), endianness: .big)
        frame.writeString(json)
        try channel.writeInbound(frame)
    }

    /// The result of `future`, if it has one yet (the embedded loop runs callbacks at once).
    private func outcome<Value>(_ future: EventLoopFuture<Value>) -> Result<Value, any Error>? {
        var result: Result<Value, any Error>?
        future.assumeIsolated().whenComplete { result = $0 }
        return result
    }

    private func failure<Value>(_ future: EventLoopFuture<Value>) -> WSBridgeClientError? {
        guard case .failure(let error) = outcome(future) else { return nil }
        return error as? WSBridgeClientError
    }

    private func assertFinishedClean(_ channel: EmbeddedChannel, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNoThrow(XCTAssertTrue(try channel.finish(acceptAlreadyClosed: true).isClean, file: file, line: line), file: file, line: line)
    }

    // MARK: Requests and replies

    func testRequestsGetIncrementingIDsAndAreWrittenAsFrames() throws {
        let harness = try harness()
        _ = send(harness.channel) { .ping(id: $0) }
        _ = send(harness.channel) { .publish(id: $0, target: .all, data: .text(ByteBuffer(string: "hi"))) }
        XCTAssertEqual(try written(harness.channel), .ping(id: RequestID(1)))
        XCTAssertEqual(try written(harness.channel), .publish(id: RequestID(2), target: .all, data: .text(ByteBuffer(string: "hi"))))
        XCTAssertNil(try written(harness.channel))
        assertFinishedClean(harness.channel)
    }

    func testRepliesCompleteTheRequestTheyAnswerByID() throws {
        let harness = try harness()
        let ping = send(harness.channel) { .ping(id: $0) }
        let accept = send(harness.channel) { .accept(id: $0, conn: "c1", user: "u") }
        let status = send(harness.channel) { .status(id: $0) }
        while try written(harness.channel) != nil {}
        try receive(.ok(id: RequestID(2)), on: harness.channel)
        XCTAssertNil(outcome(ping), "the ok is for request 2")
        XCTAssertEqual(try outcome(accept)?.get(), .ok(id: RequestID(2)))
        let body = ByteBuffer(string: #"{"apps":1}"#)
        try receive(.status(id: RequestID(3), body: body), on: harness.channel)
        try receive(.pong(id: RequestID(1)), on: harness.channel)
        XCTAssertEqual(try outcome(status)?.get(), .status(id: RequestID(3), body: body))
        XCTAssertEqual(try outcome(ping)?.get(), .pong(id: RequestID(1)))
        assertFinishedClean(harness.channel)
    }

    func testAnErrorReplyCompletesItsRequestWithTheError() throws {
        let harness = try harness()
        let accept = send(harness.channel) { .accept(id: $0, conn: "c9", user: "u") }
        _ = try written(harness.channel)
        let error = AppEvent.failure(.notPending(id: RequestID(1), conn: "c9"))
        try receive(error, on: harness.channel)
        XCTAssertEqual(try outcome(accept)?.get(), error, "the client turns it into WSBridgeClientError.rejected")
        assertFinishedClean(harness.channel)
    }

    func testAnErrorWithoutAnIDAnswersTheOldestRequest() throws {
        let harness = try harness()
        let first = send(harness.channel) { .ping(id: $0) }
        let second = send(harness.channel) { .ping(id: $0) }
        while try written(harness.channel) != nil {}
        try receive(.error(id: nil, code: .invalidJSON, message: "m"), on: harness.channel)
        XCTAssertEqual(try outcome(first)?.get(), .error(id: nil, code: .invalidJSON, message: "m"))
        XCTAssertNil(outcome(second))
        try receive(.pong(id: RequestID(2)), on: harness.channel)
        XCTAssertEqual(try outcome(second)?.get(), .pong(id: RequestID(2)))
        assertFinishedClean(harness.channel)
    }

    func testARequestThatWouldNotEncodeAsMeantIsRefusedUnwritten() throws {
        let harness = try harness()
        let publish = send(harness.channel) { .publish(id: $0, target: .user("a"), data: .json(ByteBuffer(string: "{"))) }
        guard case .invalidRequest(let code, _) = failure(publish) else {
            return XCTFail("expected invalidRequest, got \(String(describing: outcome(publish)))")
        }
        XCTAssertEqual(code, .invalidJSON)
        XCTAssertNil(try written(harness.channel))
        XCTAssertTrue(harness.channel.isActive, "the connection is untouched")
        assertFinishedClean(harness.channel)
    }

    // MARK: Events

    func testUnsolicitedEventsGoToTheStreamAndUnknownTypesAreSkipped() async throws {
        let harness = try harness()
        let connect = AppEvent.connect(
            conn: "c1", path: "/ws", query: "", headers: [(name: "host", value: "h")], remote: "[::1]:9", user: "alice"
        )
        let message = AppEvent.message(conn: "c1", user: "alice", payload: ByteBuffer(string: "hi"), isBinary: false)
        try receive(connect, on: harness.channel)
        try receive(json: #"{"type":"typing","conn":"c1","future":[1,2]}"#, on: harness.channel)
        try receive(json: #"{"type":"closed","conn":"c1","user":"alice","reason":"","new_field":true}"#, on: harness.channel)
        try receive(message, on: harness.channel)
        try receive(.shutdown(drainMilliseconds: 100), on: harness.channel)
        XCTAssertTrue(harness.channel.isActive, "an unknown event type is not an error")
        assertFinishedClean(harness.channel)

        var received: [AppEvent] = []
        for await event in harness.events { received.append(event) }
        XCTAssertEqual(
            received,
            [connect, .closed(conn: "c1", user: "alice", code: nil, reason: ""), message, .shutdown(drainMilliseconds: 100)]
        )
    }

    // MARK: Ending

    func testAFrameThatIsNotAnEventIsAProtocolViolation() throws {
        let harness = try harness()
        let ping = send(harness.channel) { .ping(id: $0) }
        _ = try written(harness.channel)
        try receive(json: #"{"type":"message","conn":"c1"}"#, on: harness.channel)
        guard case .protocolViolation(let message) = failure(ping) else {
            return XCTFail("expected protocolViolation, got \(String(describing: outcome(ping)))")
        }
        XCTAssertTrue(message.contains("missing_field"), message)
        XCTAssertFalse(harness.channel.isActive, "the client closes the connection")
        XCTAssertEqual(try outcome(harness.ended)?.get(), failure(ping))
        assertFinishedClean(harness.channel)
    }

    func testAReplyToNoRequestInFlightIsAProtocolViolation() throws {
        let harness = try harness()
        try receive(.ok(id: RequestID(5)), on: harness.channel)
        guard case .protocolViolation(let message) = try outcome(harness.ended)?.get() else {
            return XCTFail("expected protocolViolation")
        }
        XCTAssertTrue(message.contains("request 5"), message)
        XCTAssertFalse(harness.channel.isActive)
        assertFinishedClean(harness.channel)
    }

    func testAnEventOverTheSizeLimitIsAProtocolViolation() throws {
        let harness = try harness(maxEventBytes: 64)
        let ping = send(harness.channel) { .ping(id: $0) }
        _ = try written(harness.channel)
        let big = AppEvent.message(conn: "c1", user: "u", payload: ByteBuffer(repeating: 0x61, count: 100), isBinary: false)
        try receive(big, on: harness.channel)
        guard case .protocolViolation(let message) = failure(ping) else {
            return XCTFail("expected protocolViolation, got \(String(describing: outcome(ping)))")
        }
        XCTAssertTrue(message.contains("over the limit of 64 bytes"), message)
        assertFinishedClean(harness.channel)
    }

    func testWhenWsbridgeClosesRequestsInFlightFailWithTheReasonItAnnounced() throws {
        let harness = try harness()
        let ping = send(harness.channel) { .ping(id: $0) }
        _ = try written(harness.channel)
        try receive(.failure(.slowConsumer(limit: 10)), on: harness.channel)
        XCTAssertNil(outcome(ping), "slow_consumer is not a reply")
        harness.channel.pipeline.fireChannelInactive()
        let reason = "wsbridge reported slow_consumer: \(AppProtocolError.slowConsumer(limit: 10).message)"
        XCTAssertEqual(failure(ping), .connectionClosed(reason: reason))
        XCTAssertEqual(try outcome(harness.ended)?.get(), .connectionClosed(reason: reason))
        assertFinishedClean(harness.channel)
    }

    func testClosingFromTheClientFailsRequestsInFlight() throws {
        let harness = try harness()
        let ping = send(harness.channel) { .ping(id: $0) }
        _ = try written(harness.channel)
        try harness.channel.close().wait()
        XCTAssertEqual(failure(ping), .connectionClosed(reason: "the client closed the connection"))
        XCTAssertEqual(try outcome(harness.ended)?.get(), .connectionClosed(reason: "the client closed the connection"))
        assertFinishedClean(harness.channel)
    }

    func testTheHandshakeTimeoutEndsAConnectionWithoutWelcome() throws {
        let harness = try harness()
        let hello = send(harness.channel) { .hello(id: $0, protocolVersion: 1, name: "a", paths: []) }
        _ = try written(harness.channel)
        harness.channel.triggerUserOutboundEvent(AppClientHandshakeTimeout(limit: .seconds(3)), promise: nil)
        guard case .timedOut(let message) = failure(hello) else {
            return XCTFail("expected timedOut, got \(String(describing: outcome(hello)))")
        }
        XCTAssertTrue(message.contains("hello"), message)
        XCTAssertFalse(harness.channel.isActive)
        assertFinishedClean(harness.channel)
    }

    func testTheHandshakeTimeoutIsIgnoredOnceWelcomeHasCome() throws {
        let harness = try harness()
        _ = send(harness.channel) { .hello(id: $0, protocolVersion: 1, name: "a", paths: []) }
        _ = try written(harness.channel)
        try receive(.welcome(id: RequestID(1), node: "n", version: "v", limits: AppLimits()), on: harness.channel)
        harness.channel.triggerUserOutboundEvent(AppClientHandshakeTimeout(limit: .seconds(3)), promise: nil)
        XCTAssertTrue(harness.channel.isActive)
        assertFinishedClean(harness.channel)
    }

    func testARequestOverTheAnnouncedFrameLimitIsRefusedUnwritten() throws {
        let harness = try harness()
        _ = send(harness.channel) { .hello(id: $0, protocolVersion: 1, name: "a", paths: []) }
        _ = try written(harness.channel)
        let limits = AppLimits(maxFrameBytes: 100, maxQueueBytes: 1_000, connectTimeoutMilliseconds: 1_000)
        try receive(.welcome(id: RequestID(1), node: "n", version: "v", limits: limits), on: harness.channel)
        let big = send(harness.channel) { .send(id: $0, conn: "c1", data: .text(ByteBuffer(repeating: 0x61, count: 100))) }
        guard case .invalidRequest(let code, let message) = failure(big) else {
            return XCTFail("expected invalidRequest, got \(String(describing: outcome(big)))")
        }
        XCTAssertEqual(code, .frameTooLarge)
        XCTAssertTrue(message.contains("max_frame_bytes of 100"), message)
        XCTAssertNil(try written(harness.channel))
        let small = send(harness.channel) { .send(id: $0, conn: "c1", data: .text(ByteBuffer(string: "hi"))) }
        XCTAssertEqual(try written(harness.channel), .send(id: RequestID(3), conn: "c1", data: .text(ByteBuffer(string: "hi"))))
        try receive(.ok(id: RequestID(3)), on: harness.channel)
        XCTAssertEqual(try outcome(small)?.get(), .ok(id: RequestID(3)))
        assertFinishedClean(harness.channel)
    }
}
