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
    /// listener's TCP_NODELAY is inherited (Linux). Fails if the listener's option is turned off
    /// (`.serverChannelOption(.tcpOption(.tcp_nodelay), value: 0)`: tried); NIO's bootstrap sets it
    /// on by default, so this guards the inheritance wsbridge now relies on.
    func testAcceptedSocketsHaveNagleOff() throws {
        let (group, _, serverPort) = try self.listen()

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

    /// A connection accepted once the drain began (the listener not closed yet) is closed as it is set
    /// up, before any request: the client reads the end of the stream, not a 101.
    func testAConnectionAcceptedDuringTheDrainIsClosed() throws {
        let (_, edge, port) = try self.listen()
        try edge.drainConnections(over: .zero).wait()

        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(connected, 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET /ws?user=late HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        _ = request.withCString { send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var byte: UInt8 = 0
        let read = recv(descriptor, &byte, 1, 0)
        XCTAssertLessThanOrEqual(read, 0, "closed (end of stream, or reset), not answered")
        if read < 0 {
            XCTAssertNotEqual(errno, EAGAIN, "the connection was left open: nothing came within 5 s")
        }
        XCTAssertEqual(try edge.router.snapshot().wait().sessions, 0)
    }

    /// A server listening on a loopback port, with one event loop; stopped at the end of the test.
    private func listen() throws -> (group: MultiThreadedEventLoopGroup, edge: EdgeContext, port: Int) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let router = Router(eventLoops: [group.next()], parser: EnvelopeParser(), logger: Logger(label: "test"))
        let edge = EdgeContext(
            settings: EdgeSettings(), router: router, authenticator: InsecureQueryAuthenticator(), sink: RecordingSink(),
            logger: Logger(label: "test"), unhealthyReason: { nil })
        let server = WebSocketServer(edge: edge, group: group)
        self.addTeardownBlock {
            XCTAssertNoThrow(try server.stopAccepting().wait())
            XCTAssertNoThrow(try group.syncShutdownGracefully())
        }
        let port = try XCTUnwrap(try server.bind(host: "127.0.0.1", port: 0).wait()?.port)
        return (group, edge, port)
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
