import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WSBridgeConfig
import WSBridgeDaemon
import WSBridgeTestSupport
import XCTest

/// A whole daemon's start and stop, with real sockets and the event loops it makes itself: a start that
/// fails at any listener leaves nothing running, bound or listening; a drain is over when its last
/// client has closed; nothing keeps a daemon alive once it is let go.
final class DaemonLifecycleTests: XCTestCase {
    /// For the test's own sockets (clients, ports held), not the daemon's.
    private var group: MultiThreadedEventLoopGroup!
    private var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.directory = try TemporaryDirectory()
    }

    override func tearDown() {
        try? self.group.syncShutdownGracefully()
        self.directory?.remove()
    }

    private func configuration(_ adjust: (inout WSBridgeConfiguration) -> Void = { _ in }) -> WSBridgeConfiguration {
        var configuration = WSBridgeConfiguration()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.adminListen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.appSocket = self.directory.file("app.sock")
        configuration.auth = .insecureQuery
        configuration.eventLoops = 2
        adjust(&configuration)
        return configuration
    }

    private var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    /// This process's event-loop threads (NIO names them `NIO-ELT-<group>-#<loop>`), by thread id.
    private static func eventLoopThreads() throws -> Set<String> {
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        return Set(
            tasks.compactMap { tid in
                guard let name = try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8) else { return nil }
                return name.hasPrefix("NIO-ELT-") ? "\(tid) \(name.trimmingCharacters(in: .newlines))" : nil
            })
    }

    /// Holds a free loopback port for the test.
    private func occupyPort() async throws -> (Channel, Int) {
        let channel = try await ServerBootstrap(group: self.group).bind(host: "127.0.0.1", port: 0).get()
        return (channel, try XCTUnwrap(channel.localAddress?.port))
    }

    /// Whether `port` can be listened on again: nothing holds it.
    private func assertFree(_ port: Int?, _ what: String, file: StaticString = #filePath, line: UInt = #line) async {
        guard let port else { return XCTFail("\(what): no port", file: file, line: line) }
        do {
            let channel = try await ServerBootstrap(group: self.group).bind(host: "127.0.0.1", port: port).get()
            try await channel.close().get()
        } catch {
            XCTFail("\(what) port \(port) is still held: \(error)", file: file, line: line)
        }
    }

    /// Starts a daemon that must fail at one listener; checks that its start stopped what it had started.
    private func startFailing(
        _ adjust: (inout WSBridgeConfiguration) -> Void, file: StaticString = #filePath, line: UInt = #line
    ) async throws -> (ListenerStartError, Daemon) {
        let before = try Self.eventLoopThreads()
        let daemon = try Daemon(configuration: self.configuration(adjust), logger: self.logger)
        XCTAssertEqual(try Self.eventLoopThreads().subtracting(before).count, 2, "the daemon's own event loops", file: file, line: line)
        do {
            try await daemon.start()
        } catch let error as ListenerStartError {
            XCTAssertEqual(daemon.currentPhase, .stopped, file: file, line: line)
            XCTAssertEqual(try Self.eventLoopThreads().subtracting(before), [], "event loops left running", file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: self.directory.file("app.sock")), "app socket file left", file: file, line: line)
            await daemon.shutdown()  // has nothing left to stop
            return (error, daemon)
        }
        await daemon.shutdown()
        throw StartedAnyway()
    }

    private struct StartedAnyway: Error {}

    func testAStartThatFailsAtTheAdminListenerLeavesNothingRunning() async throws {
        let (holder, port) = try await self.occupyPort()
        let (error, daemon) = try await self.startFailing { $0.adminListen = ListenAddress(host: "127.0.0.1", port: port) }
        XCTAssertEqual(error.listener, .admin)
        XCTAssertNil(daemon.adminAddress)
        try await holder.close().get()
        await self.assertFree(port, "admin")
    }

    func testAStartThatFailsAtTheAppSocketLeavesNothingRunning() async throws {
        let (error, daemon) = try await self.startFailing { $0.appSocket = self.directory.file("missing/app.sock") }
        XCTAssertEqual(error.listener, .app)
        await self.assertFree(daemon.adminAddress?.port, "admin")
    }

    func testAStartThatFailsAtTheWebSocketListenerLeavesNothingRunning() async throws {
        let (holder, port) = try await self.occupyPort()
        let (error, daemon) = try await self.startFailing { $0.listen = ListenAddress(host: "127.0.0.1", port: port) }
        XCTAssertEqual(error.listener, .webSocket)
        await self.assertFree(daemon.adminAddress?.port, "admin")
        try await holder.close().get()
        await self.assertFree(port, "WebSocket")
    }

    func testADaemonThatNeverStartedStopsItsEventLoopsOnShutdown() async throws {
        let before = try Self.eventLoopThreads()
        let daemon = try Daemon(configuration: self.configuration(), logger: self.logger)
        XCTAssertEqual(try Self.eventLoopThreads().subtracting(before).count, 2)
        await daemon.shutdown()
        XCTAssertEqual(try Self.eventLoopThreads().subtracting(before), [])
        XCTAssertEqual(daemon.currentPhase, .stopped)
    }

    func testADaemonThatCannotBeBuiltLeavesNoThread() throws {
        let before = try Self.eventLoopThreads()
        XCTAssertThrowsError(try Daemon(configuration: self.configuration { $0.auth = .jwt }, logger: self.logger)) { error in
            XCTAssertTrue("\(error)".contains("auth"), "\(error)")
        }
        XCTAssertEqual(try Self.eventLoopThreads().subtracting(before), [])
    }

    func testADrainIsOverWhenItsLastClientHasClosed() async throws {
        // close_timeout far away: only the clients closing can end this drain in time.
        let daemon = try Daemon(
            configuration: self.configuration {
                $0.drainTimeout = .milliseconds(200)
                $0.closeTimeout = .seconds(60)
            }, logger: self.logger)
        let address = try await daemon.start()
        let port = try XCTUnwrap(address?.port)
        let alice = try await WebSocketTestClient.connect(port: port, path: "/ws?user=alice", group: self.group)
        let bob = try await WebSocketTestClient.connect(port: port, path: "/ws?user=bob", group: self.group)
        try await eventually("both sessions") { try await daemon.router.snapshot().get().sessions == 2 }
        let finished = NIOLockedValueBox<NIODeadline?>(nil)
        let drain = Task {
            await daemon.shutdown()
            finished.withLockedValue { $0 = .now() }
        }
        let goingAway = WebSocketTestClient.Message.close(code: 1001, reason: "server shutting down")
        let toAlice = try await alice.next()
        let toBob = try await bob.next()
        XCTAssertEqual(toAlice, goingAway)
        XCTAssertEqual(toBob, goingAway)
        XCTAssertNil(finished.withLockedValue { $0 }, "the drain waits for its clients, which have not answered")

        await alice.close()
        eventually("alice's connection closed") { daemon.edge.counters.openWebSockets.load(ordering: .relaxed) == 1 }
        XCTAssertNil(finished.withLockedValue { $0 }, "bob is still connected")

        let lastClosed = NIODeadline.now()
        await bob.close()
        await drain.value
        let end = try XCTUnwrap(finished.withLockedValue { $0 })
        XCTAssertLessThan(end - lastClosed, .seconds(5), "over with the last client, not at the drain's deadline (60 s on)")
        XCTAssertEqual(daemon.currentPhase, .stopped)
    }

    func testNothingKeepsADaemonAliveOnceLetGo() async throws {
        weak var built: Daemon?
        weak var stopped: Daemon?
        do {
            let daemon = try Daemon(configuration: self.configuration(), logger: self.logger, group: self.group)
            built = daemon
        }
        XCTAssertNil(built, "a daemon built and let go is freed (its status box holds it weakly)")
        do {
            let daemon = try Daemon(configuration: self.configuration(), logger: self.logger, group: self.group)
            try await daemon.start()
            await daemon.shutdown()
            stopped = daemon
        }
        XCTAssertNil(stopped, "a daemon started and shut down is freed")
    }
}
