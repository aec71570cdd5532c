/// The Redis byte stream could not be decoded: the connection is unusable and must be closed.
///
/// Thrown by ``RESPDecoder`` with the reason hiredis' `redisReader` gave (its `errstr`).
public struct RedisProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, in the words of hiredis (for example `Protocol error, got "?" as reply type byte`).
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public var description: String {
        "Redis protocol error: \(self.reason)"
    }

    /// hiredis could not allocate its reader or a reply.
    static let outOfMemory = RedisProtocolError(reason: "out of memory in the RESP reader")
}
