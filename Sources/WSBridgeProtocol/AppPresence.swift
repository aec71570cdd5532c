import NIOCore
import WSBridgeJSON

/// One user's presence, as a `presence` reply (and a receipt) reports it: how many sessions the user
/// holds (or a message reached), on how many hosts.
public struct AppPresence: Sendable, Equatable {
    public var user: String
    public var sessions: Int
    public var hosts: Int

    public init(user: String, sessions: Int, hosts: Int) {
        self.user = user
        self.sessions = sessions
        self.hosts = hosts
    }
}

/// A user's first session anywhere arrived (`online`) or the last one left (`offline`): sent to the
/// apps that asked for it in `hello` (`"presence_events": true`).
public struct AppPresenceEvent: Sendable, Equatable {
    public var online: Bool
    public var user: String

    public init(online: Bool, user: String) {
        self.online = online
        self.user = user
    }

    /// The event as the `wsbridge` function library publishes it on `<channel>:presence`:
    /// `{"type":"online"|"offline","user":"…"}`; nil for anything else.
    public init?(json: ByteBuffer) {
        guard case .success(let event) = AppEventParser.parse(json), case .presenceChanged(let parsed) = event else {
            return nil
        }
        self = parsed
    }
}

/// What a `publish` with `"receipt": true` reached, once every host that holds its users reported or
/// the receipt window ended.
///
/// - `sessions`, `hosts`: sessions the message was written to, and on how many hosts.
/// - `unknownHosts`: hosts that held an addressed user but did not report within the window (paused,
///   partitioned, overloaded): their sessions are not counted, and not known to be zero.
/// - `users`: per addressed user, the sessions and hosts reached (empty for a message to `all`).
/// - `offline`: addressed users no host held when the message was published, and none reached.
public struct AppReceipt: Sendable, Equatable {
    public var sessions: Int
    public var hosts: Int
    public var unknownHosts: Int
    public var users: [AppPresence]
    public var offline: [String]

    public init(sessions: Int, hosts: Int, unknownHosts: Int, users: [AppPresence], offline: [String]) {
        self.sessions = sessions
        self.hosts = hosts
        self.unknownHosts = unknownHosts
        self.users = users
        self.offline = offline
    }
}

extension AppPresence {
    /// The text of ``writeObject(_:into:)``, for tools that print it.
    public static func jsonObject(_ users: [AppPresence]) -> String {
        var buffer = ByteBuffer()
        writeObject(users, into: &buffer)
        return String(buffer: buffer)
    }

    /// `{"<user>":{"sessions":N,"hosts":M},…}`: users as object keys, in the order given.
    static func writeObject(_ users: [AppPresence], into buffer: inout ByteBuffer) {
        buffer.writeStaticString("{")
        for (position, user) in users.enumerated() {
            if position > 0 { buffer.writeStaticString(",") }
            JSONText.writeQuoted(user.user, into: &buffer)
            buffer.writeStaticString(":{\"sessions\":")
            buffer.writeString(String(user.sessions))
            buffer.writeStaticString(",\"hosts\":")
            buffer.writeString(String(user.hosts))
            buffer.writeStaticString("}")
        }
        buffer.writeStaticString("}")
    }
}
