import Logging
import NIOCore
import NIOPosix
import WSBridgeConfig
import WSBridgeDaemon
import WSBridgeTestSupport
import XCTest

/// What the tests of a whole daemon in this process share: an event loop for the test's own sockets
/// (clients, ports it holds), a directory of its own for the app socket (tests run in parallel), and a
/// configuration on free loopback ports.
class DaemonTestCase: XCTestCase {
    var group: MultiThreadedEventLoopGroup!
    var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.directory = try TemporaryDirectory()
    }

    override func tearDown() {
        try? self.group.syncShutdownGracefully()
        self.directory?.remove()
    }

    /// The WebSocket and admin listeners on free loopback ports, the app socket in the test's directory,
    /// `insecure-query` auth, two event loops; then `adjust`.
    func configuration(_ adjust: (inout WSBridgeConfiguration) -> Void = { _ in }) -> WSBridgeConfiguration {
        var configuration = WSBridgeConfiguration()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.adminListen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.appSocket = self.directory.file("app.sock")
        configuration.auth = .insecureQuery
        configuration.eventLoops = 2
        adjust(&configuration)
        return configuration
    }

    /// Holds a free loopback port for the test.
    func occupyPort() async throws -> (Channel, Int) {
        let channel = try await ServerBootstrap(group: self.group).bind(host: "127.0.0.1", port: 0).get()
        return (channel, try XCTUnwrap(channel.localAddress?.port))
    }

    /// Builds and starts a daemon that must fail to open a listener; returns the error and the daemon,
    /// which its failed start left stopped.
    func startFailing(
        _ adjust: (inout WSBridgeConfiguration) -> Void, file: StaticString = #filePath, line: UInt = #line
    ) async throws -> (ListenerStartError, Daemon) {
        let daemon = try Daemon(configuration: self.configuration(adjust), logger: self.logger(.critical))
        do {
            try await daemon.start()
        } catch let error as ListenerStartError {
            XCTAssertEqual(daemon.currentPhase, .stopped, file: file, line: line)
            return (error, daemon)
        }
        await daemon.shutdown()
        throw StartedAnyway()
    }

    private struct StartedAnyway: Error {}

    /// A logger that lets through `level` and above.
    func logger(_ level: Logger.Level = .warning) -> Logger {
        var logger = Logger(label: "test")
        logger.logLevel = level
        return logger
    }
}
