import NIOCore

/// The commands a fresh connection sends before it is usable, and the check of their replies.
///
/// ```
///  subscriber:  [AUTH [user] password]  SUBSCRIBE channel        → +OK, *3 subscribe channel n
///  publisher:   [AUTH [user] password]  [SELECT db]  PING        → +OK, +OK, +PONG
/// ```
///
/// All commands are pipelined in one write; replies come back in the same order. The first error reply
/// ends the handshake: an `AUTH` failure (or a `NOAUTH`/`WRONGPASS` answer to anything) is an
/// ``RedisConnectionLoss/authRefused(_:)``. A pure state machine: no I/O, tested on its own.
struct RedisHandshake {
    enum Step: Equatable {
        case auth
        case select
        case ping
        case subscribe(channel: String)

        var commandName: String {
            switch self {
            case .auth: "AUTH"
            case .select: "SELECT"
            case .ping: "PING"
            case .subscribe: "SUBSCRIBE"
            }
        }
    }

    enum Progress {
        case inProgress
        case complete
        case failed(RedisConnectionLoss)
    }

    /// The commands to send, in order.
    let commands: [RedisCommand]
    /// The steps still waiting for their reply, oldest first.
    private var pending: [Step]

    private init(_ steps: [(Step, RedisCommand)]) {
        self.commands = steps.map(\.1)
        self.pending = steps.map(\.0)
    }

    /// `AUTH` if the target has a password, then `SUBSCRIBE channel`.
    static func subscriber(target: RedisConnectionTarget, channel: String) -> RedisHandshake {
        RedisHandshake(Self.authStep(target) + [(.subscribe(channel: channel), .subscribe(channel: channel))])
    }

    /// `AUTH` if the target has a password, `SELECT` if its database is not 0, then `PING`.
    static func publisher(target: RedisConnectionTarget) -> RedisHandshake {
        var steps = Self.authStep(target)
        if target.database != 0 {
            steps.append((.select, .select(database: target.database)))
        }
        steps.append((.ping, .ping))
        return RedisHandshake(steps)
    }

    private static func authStep(_ target: RedisConnectionTarget) -> [(Step, RedisCommand)] {
        guard let password = target.password else { return [] }
        return [(.auth, .auth(username: target.username, password: password))]
    }

    var isComplete: Bool { self.pending.isEmpty }

    /// Checks the reply to the oldest outstanding command.
    mutating func receive(_ reply: RESPValue) -> Progress {
        guard !self.pending.isEmpty else {
            return .failed(.unexpectedReply(command: "(none)", reply: Self.describe(reply)))
        }
        let step = self.pending.removeFirst()
        if case .error(let message) = reply {
            if step == .auth || RedisConnectionLoss.isAuthError(message) {
                return .failed(.authRefused(message))
            }
            return .failed(.rejected(command: step.commandName, reply: message))
        }
        guard Self.isExpected(reply, for: step) else {
            return .failed(.unexpectedReply(command: step.commandName, reply: Self.describe(reply)))
        }
        return self.pending.isEmpty ? .complete : .inProgress
    }

    private static func isExpected(_ reply: RESPValue, for step: Step) -> Bool {
        switch step {
        case .auth, .select:
            return reply == .simpleString("OK")
        case .ping:
            return reply == .simpleString("PONG")
        case .subscribe(let channel):
            guard case .array(let items?) = reply, items.count == 3, case .integer = items[2] else {
                return false
            }
            return items[0].text == "subscribe" && items[1].text == channel
        }
    }

    /// A short, log-safe rendering of a reply (string contents are cut at 64 bytes).
    static func describe(_ reply: RESPValue) -> String {
        switch reply {
        case .simpleString(let text): return "+\(text.prefix(64))"
        case .error(let text): return "-\(text.prefix(64))"
        case .integer(let value): return ":\(value)"
        case .bulkString(nil): return "$-1"
        case .bulkString(let buffer?): return "$\(buffer.readableBytes)"
        case .array(nil): return "*-1"
        case .array(let items?): return "*\(items.count)[" + items.map(Self.describe).joined(separator: ",") + "]"
        }
    }
}
