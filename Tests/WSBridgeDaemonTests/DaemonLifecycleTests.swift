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
final class DaemonLifecycleTests: DaemonTestCase {
    /// This process's event-loop threads (NIO names them `NIO-ELT-<group>-#<loop>`), by thread id.
    private static func eventLoopThreads() throws -> Set<String> {
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        return Set(
            tasks.compactMap { tid in
                guard let name = try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8) else { return nil }
                return name.hasPrefix("NIO-ELT-") ? "\(tid) \(name.trimmingCharacters(in: .newlines))" : nil
            })
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

    /// Starts a daemon that must fail at one listener; checks that its start stopped what it had
    /// started: its event loops, the app socket file.
    private func startFailingCleanly(
        _ adjust: (inout WSBridgeConfiguration) -> Void, file: StaticString = #filePath, line: UInt = #line
    ) async throws -> (ListenerStartError, Daemon) {
        let before = try Self.eventLoopThreads()
        let (error, daemon) = try await self.startFailing(adjust, file: file, line: line)
        XCTAssertEqual(try Self.eventLoopThreads().subtracting(before), [], "event loops left running", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: self.directory.file("app.sock")), "app socket file left", file: file, line: line)
        await daemon.shutdown()  // has nothing left to stop
        return (error, daemon)
    }

    func testAStartThatFailsAtTheAdminListenerLeavesNothingRunning() async throws {
        let (holder, port) = try await self.occupyPort()
        let (error, daemon) = try await self.startFailingCleanly { $0.adminListen = ListenAddress(host: "127.0.0.1", port: port) }
        XCTAssertEqual(error.listener, .admin)
        XCTAssertNil(daemon.adminAddress)
        try await holder.close().get()
        await self.assertFree(port, "admin")
    }

    func testAStartThatFailsAtTheAppSocketLeavesNothingRunning() async throws {
        let (error, daemon) = try await self.startFailingCleanly { $0.appSocket = self.directory.file("missing/app.sock") }
        XCTAssertEqual(error.listener, .app)
        await self.assertFree(daemon.adminAddress?.port, "admin")
    }

    func testAStartThatFailsAtTheWebSocketListenerLeavesNothingRunning() async throws {
        let (holder, port) = try await self.occupyPort()
        let (error, daemon) = try await self.startFailingCleanly { $0.listen = ListenAddress(host: "127.0.0.1", port: port) }
        XCTAssertEqual(error.listener, .webSocket)
        await self.assertFree(daemon.adminAddress?.port, "admin")
        try await holder.close().get()
        await self.assertFree(port, "WebSocket")
    }

    func testADaemonThatNeverStartedStopsItsEventLoopsOnShutdown() async throws {
        let before = try Self.eventLoopThreads()
        let daemon = try Daemon(configuration: self.configuration(), logger: self.logger(.critical))
        XCTAssertEqual(try Self.eventLoopThreads().subtracting(before).count, 2)
        await daemon.shutdown()
        XCTAssertEqual(try Self.eventLoopThreads().subtracting(before), [])
        XCTAssertEqual(daemon.currentPhase, .stopped)
    }

    func testADaemonThatCannotBeBuiltLeavesNoThread() throws {
        let before = try Self.eventLoopThreads()
        XCTAssertThrowsError(try Daemon(configuration: self.configuration { $0.auth = .jwt }, logger: self.logger(.critical))) { error in
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
            }, logger: self.logger(.critical))
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
            let daemon = try Daemon(configuration: self.configuration(), logger: self.logger(.critical), group: self.group)
            built = daemon
        }
        XCTAssertNil(built, "a daemon built and let go is freed (its status box holds it weakly)")
        do {
            let daemon = try Daemon(configuration: self.configuration(), logger: self.logger(.critical), group: self.group)
            try await daemon.start()
            await daemon.shutdown()
            stopped = daemon
        }
        XCTAssertNil(stopped, "a daemon started and shut down is freed")
    }
}
