import NIOCore

/// One Redis command as its binary-safe arguments (`["PUBLISH", channel, payload]`), encoded by
/// ``RESPCommandEncoder``.
public struct RedisCommand: Sendable, Equatable {
    /// The command name followed by its arguments; each is sent with its explicit length.
    public var arguments: [ByteBuffer]

    public init(arguments: [ByteBuffer]) {
        self.arguments = arguments
    }

    public init(_ arguments: String...) {
        self.arguments = arguments.map { ByteBuffer(string: $0) }
    }
}

extension RedisCommand {
    /// `AUTH password` (Redis < 6 style, the `default` user) or `AUTH username password` (ACL users).
    static func auth(username: String?, password: String) -> RedisCommand {
        if let username, !username.isEmpty {
            return RedisCommand("AUTH", username, password)
        }
        return RedisCommand("AUTH", password)
    }

    static func select(database: Int) -> RedisCommand {
        RedisCommand("SELECT", String(database))
    }

    static func subscribe(channel: String) -> RedisCommand {
        RedisCommand("SUBSCRIBE", channel)
    }

    static func publish(channel: String, message: ByteBuffer) -> RedisCommand {
        RedisCommand(arguments: [ByteBuffer(string: "PUBLISH"), ByteBuffer(string: channel), message])
    }

    static let ping = RedisCommand("PING")

    /// The command name for logs (never the arguments: `AUTH` carries a password).
    var name: String {
        self.arguments.first.map { String(buffer: $0) } ?? ""
    }
}
