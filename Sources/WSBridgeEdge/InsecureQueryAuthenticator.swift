import NIOCore
import WSBridgeCore

/// `insecure-query`: trusts `?user=ID`. For local development and benchmarks only.
public struct InsecureQueryAuthenticator: HandshakeAuthenticator {
    public let maxUserIDBytes: Int
    public init(maxUserIDBytes: Int = 256) { self.maxUserIDBytes = maxUserIDBytes }

    public var mode: String { "insecure-query" }

    public func authenticate(_ request: HandshakeRequest, on eventLoop: EventLoop) -> EventLoopFuture<HandshakeDecision> {
        eventLoop.makeSucceededFuture(self.decide(request))
    }

    func decide(_ request: HandshakeRequest) -> HandshakeDecision {
        guard let user = request.queryValue("user"), !user.isEmpty else {
            return .reject(status: .unauthorized, reason: "missing ?user= (auth mode insecure-query)", kind: .missingCredentials)
        }
        guard user.utf8.count <= self.maxUserIDBytes else {
            return .reject(status: .forbidden, reason: "user id longer than \(self.maxUserIDBytes) bytes", kind: .invalidUser)
        }
        return .accept(user: user)
    }
}
