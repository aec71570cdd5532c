#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix
import WSBridgeCore
import WSBridgeTestSupport
import XCTest
@testable import WSBridgeEdge

/// The listener on a real loopback socket: what its accepted sockets are given by the kernel.
final class WebSocketServerSocketTests: XCTestCase {
    /// Nagle is off on every accepted socket, though no per-connection `setsockopt` sets it: the
    /// listener's TCP_NODELAY is inherited (Linux). A server that set it nowhere would fail here.
    func testAcceptedSocketsHaveNagleOff() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { XCTAssertNoThrow(try group.syncShutdownGracefully()) }
        let router = Router(eventLoops: [group.next()], parser: EnvelopeParser(), logger: Logger(label: "test"))
        let edge = EdgeContext(
            settings: EdgeSettings(), router: router, authenticator: InsecureQueryAuthenticator(), sink: RecordingSink(),
            logger: Logger(label: "test"), unhealthyReason: { nil })
        let server = WebSocketServer(edge: edge, group: group)
        let serverPort = try XCTUnwrap(try server.bind(host: "127.0.0.1", port: 0).wait()?.port)
        defer { XCTAssertNoThrow(try server.stopAccepting().wait()) }

        let client = try ClientBootstrap(group: group).connect(host: "127.0.0.1", port: serverPort).wait()
        defer { XCTAssertNoThrow(try client.close().wait()) }
        let clientPort = try XCTUnwrap(client.localAddress?.port)

        var accepted: CInt?
        for _ in 0..<200 where accepted == nil {
            accepted = Self.socketDescriptor(localPort: serverPort, peerPort: clientPort)
            if accepted == nil { usleep(10_000) }
        }
        let descriptor = try XCTUnwrap(accepted, "the server's side of the connection was not found among this process' descriptors")
        var value: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        XCTAssertEqual(getsockopt(descriptor, CInt(IPPROTO_TCP), TCP_NODELAY, &value, &length), 0)
        XCTAssertEqual(value, 1)
    }

    /// This process' TCP socket bound to `localPort` and connected from `peerPort` (both on loopback).
    private static func socketDescriptor(localPort: Int, peerPort: Int) -> CInt? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        for name in names {
            guard let descriptor = CInt(name) else { continue }
            if Self.port(of: descriptor, getsockname) == localPort, Self.port(of: descriptor, getpeername) == peerPort {
                return descriptor
            }
        }
        return nil
    }

    private static func port(
        of descriptor: CInt, _ name: (CInt, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?) -> CInt
    ) -> Int? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { name(descriptor, $0, &length) }
        }
        guard result == 0, address.sin_family == sa_family_t(AF_INET) else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
