import NIOCore

/// The life of one Redis connection, shared by the subscriber and the publisher handlers: the
/// handshake, then linked, then closing with the first reason recorded. A value type with no I/O.
///
/// ```
///  handshaking ──(every reply as expected)──▶ linked ──(error, EOF, close)──▶ closing(reason)
///       └──────────(an error reply: AUTH refused...)──────────────────────────▶ closing(reason)
/// ```
struct RedisLinkState {
    private enum State {
        case handshaking(RedisHandshake)
        case linked
        case closing(RedisConnectionLoss)
    }

    /// What a reply means for the handler.
    enum Reply {
        /// A handshake reply; write `send` (usually empty) and wait for more.
        case handshaking(send: [RedisCommand])
        /// The last handshake reply: the connection is usable now.
        case justLinked
        /// The handshake failed; the state is closing with this reason: close the channel.
        case failed(RedisConnectionLoss)
        /// A reply (or push) on a linked connection, for the handler to interpret.
        case linked(RESPValue)
        /// The connection is closing: ignore it.
        case ignored
    }

    private var state: State
    /// What the handshake found about the function library (publisher links with a library only).
    private(set) var libraryStatus: RedisLibraryStatus?

    init(handshake: RedisHandshake) {
        self.state = .handshaking(handshake)
    }

    /// The handshake commands to write when the connection becomes active.
    var handshakeCommands: [RedisCommand] {
        if case .handshaking(let handshake) = self.state { return handshake.commands }
        return []
    }

    var isLinked: Bool {
        if case .linked = self.state { return true }
        return false
    }

    mutating func receive(_ value: RESPValue) -> Reply {
        switch self.state {
        case .handshaking(var handshake):
            switch handshake.receive(value) {
            case .inProgress(let send):
                self.state = .handshaking(handshake)
                return .handshaking(send: send)
            case .complete:
                self.libraryStatus = handshake.libraryStatus
                self.state = .linked
                return .justLinked
            case .failed(let loss):
                self.state = .closing(loss)
                return .failed(loss)
            }
        case .linked:
            return .linked(value)
        case .closing:
            return .ignored
        }
    }

    /// Records why the connection is closing; returns false if an earlier reason is already recorded.
    mutating func close(_ loss: RedisConnectionLoss) -> Bool {
        if case .closing = self.state { return false }
        self.state = .closing(loss)
        return true
    }

    /// The connection is gone: the recorded reason, or `closedByServer` if none was.
    mutating func ended() -> RedisConnectionLoss {
        let loss: RedisConnectionLoss
        if case .closing(let reason) = self.state {
            loss = reason
        } else {
            loss = .closedByServer
        }
        self.state = .closing(loss)
        return loss
    }
}

extension Array where Element == RedisCommand {
    /// Writes the commands (pipelined) and flushes once.
    func writeAndFlush(to context: ChannelHandlerContext) {
        guard !self.isEmpty else { return }
        for command in self {
            context.write(NIOAny(command), promise: nil)
        }
        context.flush()
    }
}
