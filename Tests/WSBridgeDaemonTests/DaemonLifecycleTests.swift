import Foundation
import Logging
import NIOCore
import NIOPosix
import WSBridgeConfig
import WSBridgeDaemon
import WSBridgeTestSupport
import XCTest

/// A whole daemon's start and stop, with real sockets: nothing keeps a daemon alive once it is let go.
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
