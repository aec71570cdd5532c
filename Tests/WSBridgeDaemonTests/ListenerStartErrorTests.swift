import Glibc
import Logging
import NIOCore
import NIOPosix
import WSBridgeConfig
import WSBridgeDaemon
import XCTest

/// A listener that cannot be opened is named in the error, with its address, the cause in words and
/// the config key and flag that move it; the start is undone.
final class ListenerStartErrorTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var directory: String!

    override func setUpWithError() throws {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var template = Array("/tmp/wsbridge-listener-XXXXXX".utf8CString)
        self.directory = try XCTUnwrap(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
    }

    override func tearDown() {
        try? self.group.syncShutdownGracefully()
        _ = unlink(self.directory + "/app.sock")
        _ = rmdir(self.directory)
    }

    /// A TCP listener on a free loopback port, holding it for the test.
    private func occupyPort() async throws -> (Channel, Int) {
        let channel = try await ServerBootstrap(group: self.group).bind(host: "127.0.0.1", port: 0).get()
        return (channel, try XCTUnwrap(channel.localAddress?.port))
    }

    private func startFailure(_ configure: (inout WSBridgeConfiguration) -> Void) async throws -> ListenerStartError {
        var configuration = WSBridgeConfiguration()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.adminListen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.appSocket = self.directory + "/app.sock"
        configuration.auth = .insecureQuery
        configuration.eventLoops = 1
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let daemon = try Daemon(configuration: configuration, logger: logger)
        do {
            try await daemon.start()
        } catch let error as ListenerStartError {
            XCTAssertEqual(daemon.currentPhase, .stopped)
            return error
        }
        await daemon.shutdown()
        throw StartedAnyway()
    }

    private struct StartedAnyway: Error {}

    func testABusyAdminPortNamesTheAdminListenerAndItsKey() async throws {
        let (holder, port) = try await self.occupyPort()
        defer { holder.close(promise: nil) }
        let error = try await self.startFailure { $0.adminListen = ListenAddress(host: "127.0.0.1", port: port) }
        XCTAssertEqual(error.listener, .admin)
        XCTAssertEqual(
            error.description,
            "cannot open the admin listener on 127.0.0.1:\(port): the address is in use (another wsbridge on this host?); "
                + "stop what holds it (ss -ltnp shows it), or set admin_listen (--admin-listen) to a free address or \"off\"")
        XCTAssertNotEqual(access(self.directory + "/app.sock", F_OK), 0, "the app socket file it created is removed")
    }

    func testABusyWebSocketPortNamesTheWebSocketListener() async throws {
        let (holder, port) = try await self.occupyPort()
        defer { holder.close(promise: nil) }
        let error = try await self.startFailure { $0.listen = ListenAddress(host: "127.0.0.1", port: port) }
        XCTAssertEqual(error.listener, .webSocket)
        XCTAssertTrue(error.description.hasPrefix("cannot open the WebSocket listener on 127.0.0.1:\(port): the address is in use"), error.description)
        XCTAssertTrue(error.description.hasSuffix("set listen (--listen) to a free address"), error.description)
    }

    func testAnAppSocketInAMissingDirectorySaysSo() async throws {
        let path = self.directory + "/missing/app.sock"
        let error = try await self.startFailure { $0.appSocket = path }
        XCTAssertEqual(error.listener, .app)
        XCTAssertEqual(
            error.description,
            "cannot open the app socket on \(path): the directory does not exist; create it, or set app_socket (--app-socket) to another path")
    }

    func testPermissionAndForeignAddressesAreSaidInWords() {
        let denied = ListenerStartError(.webSocket, address: "0.0.0.0:80", cause: IOError(errnoCode: EACCES, reason: "bind"))
        XCTAssertEqual(
            denied.description,
            "cannot open the WebSocket listener on 0.0.0.0:80: permission denied (ports below 1024 need CAP_NET_BIND_SERVICE); "
                + "grant the capability, or set listen (--listen) to a free address")
        let foreign = ListenerStartError(.admin, address: "10.0.0.9:9188", cause: IOError(errnoCode: EADDRNOTAVAIL, reason: "bind"))
        XCTAssertEqual(
            foreign.description,
            "cannot open the admin listener on 10.0.0.9:9188: the address is not one of this host's; "
                + "set admin_listen (--admin-listen) to one of this host's addresses (0.0.0.0 for all)")
    }
}
