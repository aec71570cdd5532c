import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WSBridgeConfig
import WSBridgeDaemon
import WSBridgeTestSupport
import XCTest

/// A whole daemon's start and stop, with real sockets: a drain is over when its last client has closed;
/// nothing keeps a daemon alive once it is let go.
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
