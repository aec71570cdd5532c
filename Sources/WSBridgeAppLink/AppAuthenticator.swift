import NIOCore
import WSBridgeCore
import WSBridgeProtocol

/// `auth = app`: attached apps decide. The handshake is held while the next app serving the path
/// (round-robin; for a server-sent-events stream on a path no app serves, the next app serving the
/// WebSocket path) is sent a `connect`; its `accept` or `reject` completes the handshake. No answer within
/// `connect_timeout`, or no app for the path, is a 503.
public struct AppAuthenticator: HandshakeAuthenticator {
    private let link: AppLinkContext

    public init(link: AppLinkContext) {
        self.link = link
    }

    public var mode: String { "app" }

    public func authenticate(_ request: HandshakeRequest, on eventLoop: EventLoop) -> EventLoopFuture<HandshakeDecision> {
        guard let app = self.link.directory.pickApp(for: request.appPaths) else {
            return eventLoop.makeSucceededFuture(.reject(status: .serviceUnavailable, reason: "no app serves this path", kind: .noApp))
        }
        let promise = eventLoop.makePromise(of: HandshakeDecision.self)
        let directory = self.link.directory
        directory.addPending(request.connection, app: app.id, promise: promise)
        let connection = request.connection
        // Always runs: answers 503 if the app is silent, and forgets an accept whose client left.
        eventLoop.scheduleTask(in: self.link.settings.connectTimeout) {
            directory.expire(connection)?.succeed(.reject(status: .serviceUnavailable, reason: "no answer from the app in time", kind: .appTimeout))
        }
        app.emit(
            .connect(
                conn: request.connection.description, path: request.path, query: request.rawQuery,
                headers: request.headers.fields.map { ($0.name, $0.value) },
                remote: request.clientAddress, user: nil
            )
        )
        return promise.futureResult
    }

    public func abandoned(_ connection: ConnectionID) {
        self.link.directory.expire(connection)?.succeed(.reject(status: .serviceUnavailable, reason: "client went away", kind: .clientGone))
    }
}
