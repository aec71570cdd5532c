#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Who a verified token says the client is.
public struct JWTIdentity: Sendable, Equatable {
    /// The `sub` claim: a non-empty string, or the decimal text of a JSON integer `sub`.
    public var user: String
    /// The `exp` claim, if the token has one. Expiry is checked once, at the handshake; the caller
    /// decides whether to close the connection later.
    public var expiresAt: Date?

    /// Creates an identity; ``JWTVerifier`` makes these, tests and fakes may too.
    public init(user: String, expiresAt: Date?) {
        self.user = user
        self.expiresAt = expiresAt
    }
}
