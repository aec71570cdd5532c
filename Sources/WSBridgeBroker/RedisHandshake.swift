import NIOCore

/// The commands a fresh connection sends before it is usable, and the check of their replies.
///
/// ```
///  subscriber:  [AUTH [user] password]  SUBSCRIBE channel [probe]   → +OK, *3 subscribe channel 1, …
///  publisher:   [AUTH [user] password]  [SELECT db]  PING           → +OK, +OK, +PONG
///               [FCALL_RO wsbridge_version 0]                        → "1 size=…"  or  -ERR … not found
///               [FUNCTION LOAD REPLACE <source>]   only when needed  → "wsbridge"
/// ```
///
/// The first commands are pipelined in one write; replies come back in the same order. With a function
/// library (``RedisFunctionLibrary``), the publisher asks which version Redis holds and loads its own
/// only when Redis has none, an older one or one with other settings (``LibraryPolicy/replace``), or
/// only when Redis has none (``LibraryPolicy/loadIfAbsent``, for one-shot tools); the outcome is kept
/// in ``library``. A Redis without functions (before 7.0) or one that refuses `FUNCTION LOAD` does not
/// fail the link: the outcome says so and publishing falls back to plain `PUBLISH`.
///
/// The first error reply to anything else ends the handshake: an `AUTH` failure (or a
/// `NOAUTH`/`WRONGPASS` answer to anything) is an ``RedisConnectionLoss/authRefused(_:)``. A pure state
/// machine: no I/O, tested on its own.
struct RedisHandshake {
    enum Step: Equatable {
        case auth
        case select
        case ping
        case subscribe(channel: String)
        case shardedSubscribe(channel: String)
        case libraryVersion
        case libraryLoad(replacing: String?)

        var commandName: String {
            switch self {
            case .auth: "AUTH"
            case .select: "SELECT"
            case .ping: "PING"
            case .subscribe: "SUBSCRIBE"
            case .shardedSubscribe: "SSUBSCRIBE"
            case .libraryVersion: "FCALL_RO"
            case .libraryLoad: "FUNCTION LOAD"
            }
        }
    }

    /// When the publisher loads its library.
    enum LibraryPolicy: Sendable {
        /// When Redis has none, an older version, or the same version with other settings (the daemon).
        case replace
        /// Only when Redis has none (`wsbridge publish`: it must not fight a daemon's settings).
        case loadIfAbsent
    }

    enum Progress {
        /// Waiting for more replies; write `send` first (empty unless a reply called for more).
        case inProgress(send: [RedisCommand])
        case complete
        case failed(RedisConnectionLoss)
    }

    /// The commands to send first, in order.
    let commands: [RedisCommand]
    /// The steps still waiting for their reply, oldest first.
    private var pending: [Step]
    private let library: RedisFunctionLibrary?
    private let policy: LibraryPolicy
    /// What became of the function library, once its steps are done (nil before, or without one).
    private(set) var libraryStatus: RedisLibraryStatus?

    private init(
        commands: [RedisCommand], steps: [Step], library: RedisFunctionLibrary? = nil, policy: LibraryPolicy = .replace
    ) {
        self.commands = commands
        self.pending = steps
        self.library = library
        self.policy = policy
    }

    /// `AUTH` if the target has a password, then one `SUBSCRIBE` for all `channels` (one reply each), then
    /// `SSUBSCRIBE` for the `sharded` channels (per-user routing: the users held now), in commands of at
    /// most ``shardedBatch`` channels: the link is reported once all of them are in place.
    static func subscriber(target: RedisConnectionTarget, channels: [String], sharded: [String] = []) -> RedisHandshake {
        let auth = Self.authStep(target)
        let subscribe = RedisCommand(arguments: [ByteBuffer(string: "SUBSCRIBE")] + channels.map { ByteBuffer(string: $0) })
        let shardedCommands = stride(from: 0, to: sharded.count, by: Self.shardedBatch).map { start in
            RedisCommand(
                arguments: [ByteBuffer(string: "SSUBSCRIBE")]
                    + sharded[start..<min(start + Self.shardedBatch, sharded.count)].map { ByteBuffer(string: $0) })
        }
        return RedisHandshake(
            commands: auth.map(\.1) + [subscribe] + shardedCommands,
            steps: auth.map(\.0) + channels.map { .subscribe(channel: $0) } + sharded.map { .shardedSubscribe(channel: $0) }
        )
    }

    /// The most channels one `SSUBSCRIBE` names.
    static let shardedBatch = 1000

    static func subscriber(target: RedisConnectionTarget, channel: String) -> RedisHandshake {
        self.subscriber(target: target, channels: [channel])
    }

    /// `AUTH` if the target has a password, `SELECT` if its database is not 0, then `PING`; with a
    /// `library`, then the version check (and the load it may call for).
    static func publisher(
        target: RedisConnectionTarget, library: RedisFunctionLibrary? = nil, policy: LibraryPolicy = .replace
    ) -> RedisHandshake {
        var steps = Self.authStep(target)
        if target.database != 0 {
            steps.append((.select, .select(database: target.database)))
        }
        steps.append((.ping, .ping))
        if library != nil {
            steps.append((.libraryVersion, RedisCommand("FCALL_RO", RedisFunctionLibrary.versionFunction, "0")))
        }
        return RedisHandshake(commands: steps.map(\.1), steps: steps.map(\.0), library: library, policy: policy)
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
        switch step {
        case .libraryVersion:
            return self.libraryVersionReceived(reply)
        case .libraryLoad(let replacing):
            return self.libraryLoaded(reply, replacing: replacing)
        default:
            break
        }
        if case .error(let message) = reply {
            if step == .auth || RedisConnectionLoss.isAuthError(message) {
                return .failed(.authRefused(message))
            }
            return .failed(.rejected(command: step.commandName, reply: message))
        }
        guard Self.isExpected(reply, for: step) else {
            return .failed(.unexpectedReply(command: step.commandName, reply: Self.describe(reply)))
        }
        return self.progress(sending: [])
    }

    private func progress(sending commands: [RedisCommand]) -> Progress {
        self.pending.isEmpty ? .complete : .inProgress(send: commands)
    }

    private mutating func libraryVersionReceived(_ reply: RESPValue) -> Progress {
        guard let library = self.library else { return self.progress(sending: []) }
        switch reply {
        case .error(let message) where RedisConnectionLoss.isAuthError(message):
            return .failed(.authRefused(message))
        case .error(let message) where message.contains("not found"):
            return self.load(library, replacing: nil)
        case .error(let message):
            // "unknown command 'FCALL_RO'": a Redis before 7.0; or an ACL that forbids it.
            self.libraryStatus = .unavailable(reason: message)
            return self.progress(sending: [])
        case .bulkString(let text?):
            let held = String(buffer: text)
            if held == library.versionReply {
                self.libraryStatus = .current
                return self.progress(sending: [])
            }
            if RedisFunctionLibrary.isNewer(held) {
                self.libraryStatus = .keptNewer(held: held)
                return self.progress(sending: [])
            }
            if self.policy == .loadIfAbsent {
                self.libraryStatus = .keptOther(held: held)
                return self.progress(sending: [])
            }
            return self.load(library, replacing: held)
        default:
            return .failed(.unexpectedReply(command: "FCALL_RO \(RedisFunctionLibrary.versionFunction)", reply: Self.describe(reply)))
        }
    }

    private mutating func load(_ library: RedisFunctionLibrary, replacing held: String?) -> Progress {
        self.pending.insert(.libraryLoad(replacing: held), at: 0)
        let command = RedisCommand(arguments: [
            ByteBuffer(string: "FUNCTION"), ByteBuffer(string: "LOAD"), ByteBuffer(string: "REPLACE"),
            ByteBuffer(string: library.source),
        ])
        return .inProgress(send: [command])
    }

    private mutating func libraryLoaded(_ reply: RESPValue, replacing held: String?) -> Progress {
        switch reply {
        case .bulkString(let name?) where String(buffer: name) == RedisFunctionLibrary.name:
            self.libraryStatus = held.map { .replaced(held: $0) } ?? .loaded
        case .error(let message) where RedisConnectionLoss.isAuthError(message):
            return .failed(.authRefused(message))
        case .error(let message):
            self.libraryStatus = .unavailable(reason: "FUNCTION LOAD refused: \(message)")
        default:
            self.libraryStatus = .unavailable(reason: "unexpected reply to FUNCTION LOAD: \(Self.describe(reply))")
        }
        return self.progress(sending: [])
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
        case .shardedSubscribe(let channel):
            guard case .array(let items?) = reply, items.count == 3, case .integer = items[2] else {
                return false
            }
            return items[0].text == "ssubscribe" && items[1].text == channel
        case .libraryVersion, .libraryLoad:
            return true
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

/// What a publisher link found and did about the function library (``RedisFunctionLibrary``).
public enum RedisLibraryStatus: Sendable, Equatable, CustomStringConvertible {
    /// Redis already held exactly this library.
    case current
    /// Redis held none; ours is loaded.
    case loaded
    /// Redis held an older version or other settings (`held` is its version reply); ours replaced it.
    case replaced(held: String)
    /// Redis holds a newer version: it is left alone and used.
    case keptNewer(held: String)
    /// Redis holds another one and the policy is not to replace it (`wsbridge publish`).
    case keptOther(held: String)
    /// No library can be used (Redis before 7.0, or `FUNCTION`/`FCALL` refused): plain `PUBLISH` only.
    case unavailable(reason: String)

    /// Whether `FCALL wsbridge_publish` and `wsbridge_history` can be called on this link.
    public var isUsable: Bool {
        if case .unavailable = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .current: "library already loaded"
        case .loaded: "library loaded"
        case .replaced(let held): "library replaced (Redis held \"\(held)\")"
        case .keptNewer(let held): "a newer library is loaded and kept (\"\(held)\")"
        case .keptOther(let held): "another library is loaded and kept (\"\(held)\")"
        case .unavailable(let reason): "no function library: \(reason)"
        }
    }
}
