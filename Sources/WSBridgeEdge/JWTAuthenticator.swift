#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import WSBridgeAuth
import WSBridgeCore

/// `jwt`: the connection belongs to the token's `sub`. The token comes from `?token=` or from an
/// `Authorization: Bearer` header; no app is needed. Every failure is a 401 naming the reason (the token
/// itself is never echoed or logged).
public struct JWTAuthenticator: HandshakeAuthenticator {
    public let verifier: JWTVerifier
    public let maxUserIDBytes: Int

    public init(verifier: JWTVerifier, maxUserIDBytes: Int = 256) {
        self.verifier = verifier
        self.maxUserIDBytes = maxUserIDBytes
    }

    public var mode: String { "jwt" }

    public func authenticate(_ request: HandshakeRequest, on eventLoop: EventLoop) -> EventLoopFuture<HandshakeDecision> {
        eventLoop.makeSucceededFuture(self.decide(request, now: Date()))
    }

    func decide(_ request: HandshakeRequest, now: Date) -> HandshakeDecision {
        guard let token = Self.token(in: request) else {
            return .reject(status: .unauthorized, reason: "missing token (?token= or Authorization: Bearer)", kind: .missingCredentials)
        }
        switch self.verifier.verify(token, now: now) {
        case .success(let identity):
            guard identity.user.utf8.count <= self.maxUserIDBytes else {
                return .reject(status: .forbidden, reason: "user id longer than \(self.maxUserIDBytes) bytes", kind: .invalidUser)
            }
            return .accept(user: identity.user)
        case .failure(let error):
            return .reject(status: .unauthorized, reason: "invalid token: \(error.code.rawValue)", kind: .invalidToken)
        }
    }

    static func token(in request: HandshakeRequest) -> Substring? {
        if let value = request.queryValue("token"), !value.isEmpty {
            return Substring(value)
        }
        for header in request.headers["authorization"] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].drop(while: { $0 == " " })
                if !token.isEmpty { return Substring(token) }
            }
        }
        return nil
    }
}
