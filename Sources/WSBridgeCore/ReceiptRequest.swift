import NIOConcurrencyHelpers
import NIOCore
import WSBridgeJSON

/// A receipt asked for, as a message carries it in its `wsr` member: `"NODE ID[/PIECES] [HOST …]"`,
/// words separated by one space (node ids hold no spaces).
///
/// - `NODE`: the publishing host, where the reports go (`<channel>:receipt:NODE`).
/// - `ID`: the receipt's number on that host (decimal).
/// - `PIECES`: how many messages the publish became (on a Redis Cluster a `users` publish is one
///   message per user): a host reports once it counted that many with this `ID`. 1 when absent.
/// - `HOST …`: the other hosts that held an addressed user when it was published: they report even when
///   they reached nobody, so the publisher need not wait for them. Any other host reports only if it
///   reached someone. For a message to `all`, every host reports.
public struct ReceiptRequest: Sendable, Equatable {
    public var replyTo: String
    public var id: UInt64
    public var hosts: [String]
    /// The messages the publish became (1 unless a cluster cut it per user).
    public var pieces: Int

    public init(replyTo: String, id: UInt64, hosts: [String], pieces: Int = 1) {
        self.replyTo = replyTo
        self.id = id
        self.hosts = hosts
        self.pieces = pieces
    }

    /// Reads the `wsr` text; nil when it is not `NODE ID[/PIECES] [HOST …]`.
    public init?(_ text: String) {
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 2 else { return nil }
        let number = words[1].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let id = UInt64(number[0]) else { return nil }
        var pieces = 1
        if number.count == 2 {
            guard let count = Int(number[1]), (1...10_000).contains(count) else { return nil }
            pieces = count
        }
        self.init(replyTo: String(words[0]), id: id, hosts: words.dropFirst(2).map(String.init), pieces: pieces)
    }

    /// The `wsr` text.
    public var text: String {
        let number = self.pieces == 1 ? String(self.id) : "\(self.id)/\(self.pieces)"
        return ([self.replyTo, number] + self.hosts).joined(separator: " ")
    }

    /// `envelope` (a JSON object's text) with `"wsr":"<text>"` as its first member.
    public func stamp(_ envelope: ByteBuffer, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var view = envelope
        var stamped = allocator.buffer(capacity: envelope.readableBytes + 32 + self.text.utf8.count)
        // The envelopes the daemon builds start with `{`; skip it (and any space before).
        while let byte = view.readableBytesView.first, byte != UInt8(ascii: "{") {
            view.moveReaderIndex(forwardBy: 1)
        }
        view.moveReaderIndex(forwardBy: min(1, view.readableBytes))
        stamped.writeStaticString("{\"wsr\":")
        JSONText.writeQuoted(self.text, into: &stamped)
        if view.readableBytesView.first(where: { $0 != UInt8(ascii: " ") }) != UInt8(ascii: "}") {
            stamped.writeStaticString(",")
        }
        stamped.writeImmutableBuffer(view)
        return stamped
    }
}

/// What one host's shards wrote a message to, for its publisher's receipt: sessions per addressed user
/// (for a message to users) and in all.
public struct ReceiptReport: Sendable, Equatable {
    public var id: UInt64
    /// The host that reports.
    public var node: String
    public var total: Int
    /// Sessions per addressed user reached here (users with none left out); empty for `all`.
    public var users: [String: Int]

    public init(id: UInt64, node: String, total: Int, users: [String: Int]) {
        self.id = id
        self.node = node
        self.total = total
        self.users = users
    }

    /// `{"id":N,"node":"…","total":N,"users":{"<user>":N,…}}`, as hosts publish it on the
    /// publisher's receipt channel.
    public var json: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeStaticString("{\"id\":")
        buffer.writeString(String(self.id))
        buffer.writeStaticString(",\"node\":")
        JSONText.writeQuoted(self.node, into: &buffer)
        buffer.writeStaticString(",\"total\":")
        buffer.writeString(String(self.total))
        buffer.writeStaticString(",\"users\":{")
        for (position, (user, sessions)) in self.users.sorted(by: { $0.key < $1.key }).enumerated() {
            if position > 0 { buffer.writeStaticString(",") }
            JSONText.writeQuoted(user, into: &buffer)
            buffer.writeStaticString(":")
            buffer.writeString(String(sessions))
        }
        buffer.writeStaticString("}}")
        return buffer
    }

    /// Reads ``json``; nil for anything else.
    public init?(json: ByteBuffer) {
        let parsed: ReceiptReport? = json.withUnsafeReadableBytes { bytes in
            guard let members = try? JSONScanner.scanObject(bytes, maxDepth: 4) else { return nil }
            var id: UInt64?
            var node: String?
            var total: Int?
            var users: [String: Int] = [:]
            func integer(_ range: Range<Int>) -> Int? {
                (try? JSONScanner.integerText(bytes, range)).flatMap { Int($0) }
            }
            for member in members {
                switch (member.key, member.kind) {
                case ("id", .number): id = integer(member.value).flatMap { UInt64(exactly: $0) }
                case ("node", .string): node = try? JSONScanner.decodeString(bytes, member.value)
                case ("total", .number): total = integer(member.value)
                case ("users", .object):
                    let inner = UnsafeRawBufferPointer(rebasing: bytes[member.value])
                    guard let entries = try? JSONScanner.scanObject(inner, maxDepth: 2) else { return nil }
                    for entry in entries where entry.kind == .number {
                        users[entry.key] = (try? JSONScanner.integerText(inner, entry.value)).flatMap { Int($0) } ?? 0
                    }
                default: break
                }
            }
            guard let id, let node, let total else { return nil }
            return ReceiptReport(id: id, node: node, total: total, users: users)
        }
        guard let parsed else { return nil }
        self = parsed
    }
}

/// Counts, over the shards of this host, the sessions one message is for; once every shard has
/// counted, `done` gets the host's report. Thread safe: each shard counts on its own loop.
///
/// Each shard counts its sessions of every user the message was published for (`users`, nil for
/// `all`), once, whichever piece of the message reaches it first: the stream tracker may deliver a
/// message in pieces (one per stream) and hold some back for a catch-up, and the sessions of a user
/// whose piece waits get it once the catch-up is done. A message whose held piece is then dropped for
/// the copy read from the history is not reported (its host counts as unknown).
public final class ReceiptTally: Sendable {
    public let request: ReceiptRequest
    /// The users the message was published for, in order; nil for `all`.
    public let users: [String]?
    private let state: NIOLockedValueBox<State>
    private let done: @Sendable (ReceiptRequest, _ total: Int, _ users: [String: Int]) -> Void

    private let shards: Int

    private struct State {
        /// The shards that counted.
        var counted: Set<Int> = []
        var total = 0
        var users: [String: Int] = [:]
    }

    public init(
        request: ReceiptRequest, users: [String]?, shards: Int,
        done: @escaping @Sendable (ReceiptRequest, _ total: Int, _ users: [String: Int]) -> Void
    ) {
        self.request = request
        self.users = users
        self.shards = shards
        self.state = NIOLockedValueBox(State())
        self.done = done
    }

    /// Shard `shard` holds `total` sessions the message is for, `users` (name, sessions) of them per
    /// user; a shard's second count (another piece of the message) is ignored.
    public func counted(shard: Int, total: Int, users: [(String, Int)]) {
        let finished = self.state.withLockedValue { state -> (Int, [String: Int])? in
            guard state.counted.count < self.shards, state.counted.insert(shard).inserted else { return nil }
            state.total += total
            for (user, sessions) in users where sessions > 0 {
                state.users[user, default: 0] += sessions
            }
            return state.counted.count == self.shards ? (state.total, state.users) : nil
        }
        if let (total, users) = finished {
            self.done(self.request, total, users)
        }
    }
}
