import NIOCore
import NIOEmbedded
import WSBridgeCore
import XCTest

@testable import WSBridgeAppLink

final class AppDirectoryTests: XCTestCase {
    /// A connection on a path no app serves is known by its id until it closes: an app's `accept` for
    /// it gets `not_pending`, then `unknown_conn`; no app can act on it.
    func testAConnectionNoAppServesIsKnownUntilItCloses() {
        let directory = AppDirectory()
        let id = ConnectionID(rawValue: 7)
        let handle = ConnectionHandle(
            SilentConnection(), id: id, user: "u7", path: "/ws", appPaths: ["/ws"], eventLoop: EmbeddedEventLoop())
        XCTAssertNil(directory.opened(handle))
        guard case .notPending = directory.resolve(id, by: 1, accepted: nil) else { return XCTFail("not pending") }
        XCTAssertNil(directory.connection(id, pinnedTo: 1))
        XCTAssertNil(directory.closed(id))
        guard case .unknown = directory.resolve(id, by: 1, accepted: nil) else { return XCTFail("unknown") }
    }
}

private final class SilentConnection: ClientConnection {
    func send(_ payload: ByteBuffer, isBinary: Bool) {}
    func close(_ code: CloseCode, reason: String) {}
}
