import Foundation
import NIOCore
import NIOPosix
import WSBridgeClient
import WSBridgeProtocol
import XCTest

/// The client against a fake daemon on a real Unix socket.
final class WSBridgeAppClientTests: XCTestCase {
    private let group = MultiThreadedEventLoopGroup.singleton

    private func connect(
        _ daemon: FakeDaemon,
        name: String = "chat",
        paths: [String] = ["/ws"],
        handshakeTimeout: TimeAmount = WSBridgeAppClient.defaultHandshakeTimeout
    ) async throws -> WSBridgeAppClient {
        try await WSBridgeAppClient.connect(
            socketPath: daemon.socketPath, name: name, paths: paths, group: group, handshakeTimeout: handshakeTimeout
        )
    }

    /// The error `body` throws, failing the test if it throws none or one of another type.
    private func thrown(
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () async throws -> Void
    ) async -> WSBridgeClientError? {
        do {
            try await body()
            XCTFail("expected an error", file: file, line: line)
            return nil
        } catch let error as WSBridgeClientError {
            return error
        } catch {
            XCTFail("expected a WSBridgeClientError, got \(error)", file: file, line: line)
            return nil
        }
    }

    // MARK: Attaching

    func testConnectSendsHelloAndKeepsWhatWelcomeSaid() async throws {
        let daemon = try await FakeDaemon.start(group: group)
        let client = try await connect(daemon, paths: ["/ws", "/chat"])
        XCTAssertEqual(
            client.welcome,
            WSBridgeWelcome(node: FakeDaemonScript.node, version: FakeDaemonScript.version, limits: FakeDaemonScript.limits)
        )
        XCTAssertEqual(
            daemon.received,
            [.hello(id: RequestID(1), protocolVersion: AppProtocol.version, name: "chat", paths: ["/ws", "/chat"])]
        )
        await client.close()
        await daemon.stop()
    }

    func testAHelloTheDaemonRefusesThrowsItsCodeAndMessage() async throws {
        let daemon = try await FakeDaemon.start(group: group)
        let error = await thrown { _ = try await self.connect(daemon, name: FakeDaemonScript.refusedName) }
        guard case .rejected(let code, let message) = error else {
            return XCTFail("expected rejected, got \(String(describing: error))")
        }
        XCTAssertEqual(code, .unsupportedProtocol)
        XCTAssertEqual(message, AppProtocolError.unsupportedProtocol(id: nil, version: 1).message)
        await daemon.stop()
    }

    func testADaemonThatNeverAnswersHelloTimesOut() async throws {
        let daemon = try await FakeDaemon.start(group: group)
        let error = await thrown {
            _ = try await self.connect(daemon, name: FakeDaemonScript.silentName, handshakeTimeout: .milliseconds(100))
        }
        guard case .timedOut(let message) = error else {
            return XCTFail("expected timedOut, got \(String(describing: error))")
        }
        XCTAssertTrue(message.contains("hello"), message)
        await daemon.stop()
    }

    func testAMissingSocketGivesAClearMessage() async throws {
        let path = FakeDaemon.temporaryDirectory().appendingPathComponent("app.sock").path
        let error = await thrown { _ = try await WSBridgeAppClient.connect(socketPath: path, name: "a", paths: [], group: self.group) }
        guard case .cannotConnect(let socketPath, _) = error else {
            return XCTFail("expected cannotConnect, got \(String(describing: error))")
        }
        XCTAssertEqual(socketPath, path)
        let text = error.map { "\($0)" } ?? ""
        XCTAssertTrue(text.hasPrefix("cannot connect to the wsbridge app socket at \(path): No such file or directory"), text)
    }

    func testASocketPathTooLongForUnixSocketsGivesAClearMessage() async throws {
        let path = "/tmp/" + String(repeating: "x", count: 200) + ".sock"
        let error = await thrown { _ = try await WSBridgeAppClient.connect(socketPath: path, name: "a", paths: [], group: self.group) }
        XCTAssertEqual(error, .cannotConnect(socketPath: path, reason: "the path is too long for a Unix socket (at most 107 bytes)"))
    }

    func testASocketNobodyListensOnIsRefusedWithAClearMessage() async throws {
        let directory = FakeDaemon.temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("app.sock").path
        try FakeDaemon.makeStaleSocket(at: path)
        let error = await thrown { _ = try await WSBridgeAppClient.connect(socketPath: path, name: "a", paths: [], group: self.group) }
        let text = error.map { "\($0)" } ?? ""
        XCTAssertTrue(text.hasPrefix("cannot connect to the wsbridge app socket at \(path): Connection refused"), text)
    }

    // MARK: Requests

    func testEveryRequestGetsItsOwnReply() async throws {
        let daemon = try await FakeDaemon.start(group: group)
        let client = try await connect(daemon)
        try await client.accept(conn: "c1", user: "alice")
        try await client.reject(conn: "c2", status: 401, reason: "bad token")
        try await client.register(session: "s1", user: "bob")
        try await client.unregister(session: "s1")
        try await client.publish(.users(["alice", "bob"]), .json(ByteBuffer(string: #"{"text":"hi all"}"#)))
        try await client.send(conn: "c1", .binary(ByteBuffer(bytes: [0, 1, 255])))
        try await client.close(conn: "c1", code: 4000, reason: "bye")
        try await client.ping()
        let status = try await client.status()
        XCTAssertEqual(String(buffer: status), FakeDaemonScript.statusBody)
        XCTAssertEqual(
            Array(daemon.received.dropFirst()),
            [
                .accept(id: RequestID(2), conn: "c1", user: "alice"),
                .reject(id: RequestID(3), conn: "c2", status: 401, reason: "bad token"),
                .register(id: RequestID(4), session: "s1", user: "bob"),
                .unregister(id: RequestID(5), session: "s1"),
                .publish(id: RequestID(6), target: .users(["alice", "bob"]), data: .json(ByteBuffer(string: #"{"text":"hi all"}"#))),
                .send(id: RequestID(7), conn: "c1", data: .binary(ByteBuffer(bytes: [0, 1, 255]))),
                .close(id: RequestID(8), conn: "c1", code: 4000, reason: "bye"),
                .ping(id: RequestID(9)),
                .status(id: RequestID(10)),
            ]
        )
        await client.close()
        await daemon.stop()
    }

    func testRepliesAreMatchedByIDWithSeveralInFlight() async throws {
        let daemon = try await FakeDaemon.start(group: group)
        let client = try await connect(daemon)
        // The reply to this publish is held back until after the reply to a later request.
        let held = Task {
            try await client.publish(.user(FakeDaemonScript.laterUser), .text(ByteBuffer(string: "x")))
        }
        try await daemon.waitForRequests(2)
        async let accepted: Void = client.accept(conn: "c1", user: "alice")
        async let registered = client.register(session: "s1", user: "bob")
        async let status = client.status()
        async let pinged: Void = client.ping()
        async let published = client.publish(.all, .text(ByteBuffer(string: "hi")))
        _ = try await (accepted, registered, status, pinged, published)
        _ = try await held.value

        let ids = daemon.received.map(\.id)
        XCTAssertEqual(ids, (1...7).map { RequestID($0) }, "ids are incrementing integers in the order written")
        let answered = daemon.answered
        XCTAssertEqual(answered.count, 7)
        XCTAssertNotEqual(answered, ids, "the fake answered out of order, so only the ids can have matched the replies")
        XCTAssertEqual(answered[2], ids[1], "the held reply came after the next request's")
        await client.close()
        await daemon.stop()
    }

    func testAnErrorReplyThrowsItsCodeAndMessageAndTheConnectionGoesOn() async throws {
        let daemon = try await FakeDaemon.start(group: group)
        let client = try await connect(daemon)
        let error = await thrown { try await client.accept(conn: FakeDaemonScript.goneConn, user: "alice") }
        XCTAssertEqual(
            error,
            .rejected(code: .notPending, message: AppProtocolError.notPending(id: nil, conn: FakeDaemonScript.goneConn).message)
        )
        try await client.ping()
        await client.close()
        await daemon.stop()
    }

    func testJSONDataThatIsNotOneValueIsNotSent() async throws {
        let daemon = try await FakeDaemon.start(group: group)
        let client = try await connect(daemon)
        let error = await thrown { try await client.publish(.user("a"), .json(ByteBuffer(string: #"1,"all":true"#))) }
        guard case .invalidRequest(let code, _) = error else {
            return XCTFail("expected invalidRequest, got \(String(describing: error))")
        }
        XCTAssertEqual(code, .invalidJSON)
        try await client.ping()
        XCTAssertEqual(daemon.received.map(\.type), ["hello", "ping"], "the refused request never reached the daemon")
        await client.close()
        await daemon.stop()
    }

    // MARK: Events

    func testUnsolicitedEventsArriveOnTheStreamInOrder() async throws {
        let daemon = try await FakeDaemon.start(group: group)
        let client = try await connect(daemon, name: FakeDaemonScript.greeterName)
        let message = AppEvent.message(conn: "c1", user: "alice", payload: ByteBuffer(string: "hi \"all\""), isBinary: false)
        let deliver = AppEvent.deliver(session: "s1", user: "bob", payload: ByteBuffer(bytes: [1, 2, 3]), isBinary: true)
        let closed = AppEvent.closed(conn: "c1", user: "alice", code: 1000, reason: "")
        try await daemon.push(message)
        try await daemon.push(deliver)
        try await daemon.push(closed)
        try await daemon.push(.shutdown(drainMilliseconds: 5_000))
        var events = client.events.makeAsyncIterator()
        let received = [await events.next(), await events.next(), await events.next(), await events.next(), await events.next()]
        XCTAssertEqual(received, [FakeDaemonScript.greeting, message, deliver, closed, .shutdown(drainMilliseconds: 5_000)])
        await client.close()
        await daemon.stop()
    }

    // MARK: Ending

    func testTheDaemonClosingFailsPendingRequestsAndFinishesTheEvents() async throws {
        let daemon = try await FakeDaemon.start(group: group)
        let client = try await connect(daemon)
        let pending = Task {
            try await client.send(conn: FakeDaemonScript.hangingConn, .text(ByteBuffer(string: "x")))
        }
        try await daemon.waitForRequests(2)
        await daemon.disconnectAll()

        let error = await thrown { try await pending.value }
        XCTAssertEqual(error, .connectionClosed(reason: "wsbridge closed the connection"))
        var count = 0
        for await _ in client.events { count += 1 }
        XCTAssertEqual(count, 0, "the stream finishes once the connection is gone")
        let later = await thrown { try await client.ping() }
        guard case .connectionClosed = later else {
            return XCTFail("expected connectionClosed, got \(String(describing: later))")
        }
        await client.close()
        await daemon.stop()
    }

    func testClosingTheClientFinishesTheEventsAndRefusesLaterRequests() async throws {
        let daemon = try await FakeDaemon.start(group: group)
        let client = try await connect(daemon)
        await client.close()
        for await event in client.events {
            XCTFail("no event expected, got \(event)")
        }
        let error = await thrown { try await client.ping() }
        XCTAssertEqual(error, .connectionClosed(reason: "the client closed the connection"))
        await client.close()
        await daemon.stop()
    }
}
