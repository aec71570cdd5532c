import Foundation
import Logging
import NIOCore
import NIOPosix
import WSBridgeClient
import WSBridgeConfig
import WSBridgeDaemon
import WSBridgeProtocol
import WSBridgeTestSupport
import XCTest

/// The Swift client library against a whole daemon in this process: real Unix socket, real WebSocket.
final class AppClientDaemonTests: DaemonTestCase {
    func testASwiftAppAuthenticatesAClientReceivesItsMessageAndPublishesToIt() async throws {
        let configuration = self.configuration {
            $0.adminListen = nil
            $0.auth = .app
        }
        let daemon = try Daemon(configuration: configuration, logger: self.logger())
        let address = try await daemon.start()
        let port = try XCTUnwrap(address?.port)
        let group = self.group!

        let app = try await WSBridgeAppClient.connect(
            socketPath: configuration.appSocket, name: "swift-app", paths: ["/ws"], group: group
        )
        XCTAssertEqual(app.welcome.node, configuration.nodeID)

        async let client = WebSocketTestClient.connect(port: port, path: "/ws?token=t1", group: group)
        var events = app.events.makeAsyncIterator()
        guard case .connect(let conn, let path, let query, _, _, _) = await events.next() else {
            return XCTFail("expected a connect event")
        }
        XCTAssertEqual(path, "/ws")
        XCTAssertEqual(query, "token=t1")
        try await app.accept(conn: conn, user: "carol")
        let websocket = try await client

        try await websocket.send(text: "hi from carol")
        guard case .message(let from, let user, let payload, false) = await events.next() else {
            return XCTFail("expected a message event")
        }
        XCTAssertEqual([from, user, String(buffer: payload)], [conn, "carol", "hi from carol"])

        try await app.publish(.user("carol"), .text(ByteBuffer(string: "hello carol")))
        let received = try await websocket.nextText()
        XCTAssertEqual(received, "hello carol")

        let body = try await app.status()
        let status = try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any]
        XCTAssertEqual((status?["connections"] as? [String: Any])?["websocket"] as? Int, 1)

        await websocket.close()
        guard case .closed(let closedConn, "carol", _, _) = await events.next() else {
            return XCTFail("expected a closed event")
        }
        XCTAssertEqual(closedConn, conn)
        await app.close()
        await daemon.shutdown()
    }
}
