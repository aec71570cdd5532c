import Glibc
import Logging
import NIOCore
import NIOPosix
import WSBridgeConfig
import WSBridgeDaemon
import XCTest

/// A listener that cannot be opened is named in the error, with its address, the cause in words and
/// the config key and flag that move it; the start is undone.
final class ListenerStartErrorTests: DaemonTestCase {
    private func startFailure(_ configure: (inout WSBridgeConfiguration) -> Void) async throws -> ListenerStartError {
        try await self.startFailing {
            $0.eventLoops = 1
            configure(&$0)
        }.0
    }

    func testABusyAdminPortNamesTheAdminListenerAndItsKey() async throws {
        let (holder, port) = try await self.occupyPort()
        defer { holder.close(promise: nil) }
        let error = try await self.startFailure { $0.adminListen = ListenAddress(host: "127.0.0.1", port: port) }
        XCTAssertEqual(error.listener, .admin)
        XCTAssertEqual(
            error.description,
            "cannot open the admin listener on 127.0.0.1:\(port): the address is in use (another wsbridge on this host?); "
                + "stop what holds it (ss -ltnp shows it), or set admin_listen (--admin-listen) to a free address or \"off\"")
        XCTAssertNotEqual(access(self.directory.file("app.sock"), F_OK), 0, "the app socket file it created is removed")
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
        let path = self.directory.file("missing/app.sock")
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
