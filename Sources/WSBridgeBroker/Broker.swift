import NIOCore

/// The link between this host and every other host: what one host publishes, every host receives.
///
/// Two implementations: ``EmbeddedBroker`` (in-process, one host, zero setup) and ``RedisBroker``
/// (Redis pub/sub on one channel, durable publishing through the `wsbridge` function library). The
/// daemon starts exactly one.
///
/// Durable messages: a broker with history gives each published message a position in each stream it
/// is in (`u:<user>` or `all`), keeps the last messages of every stream, and hands the message on as
/// `{"wsb":"EPOCH-OFFSET[,…]",<the envelope's members>}` (see ``RedisFunctionLibrary``); ``history(_:)``
/// reads the positions and what is retained.
///
/// Threading: ``start(handler:)`` is called once. The handler's `received` is called on the broker's own
/// event loop (``eventLoop``), once per network read, with every complete message of that read in
/// arrival order. A message handed to `received` is never dropped by the broker afterwards.
public protocol Broker: AnyObject, Sendable {
    /// A short description for logs and status, without credentials (for example `redis://127.0.0.1:6379/0`).
    var displayName: String { get }

    /// The event loop every handler call happens on.
    var eventLoop: EventLoop { get }

    /// Whether the broker link is up right now (the subscription is established). Cheap and thread safe.
    var isLinked: Bool { get }

    /// Whether the link is up and known to deliver (its liveness probe came back, where it has one).
    var isHealthy: Bool { get }

    /// Why the broker is not healthy, in words, or nil when it is.
    var unhealthyReason: String? { get }

    /// Starts the link. Never fails: an unreachable broker is retried in the background.
    func start(handler: BrokerHandler)

    /// Publishes one envelope to every host (including this one), durably where the broker can. Succeeds
    /// once the broker has accepted it.
    func publish(_ message: ByteBuffer) -> EventLoopFuture<PublishReceipt>

    /// The current position of each stream and, for queries with `since`, the retained messages after it.
    /// One reply per query, in order. Fails while the broker cannot answer (link down, no history).
    func history(_ queries: [HistoryQuery]) -> EventLoopFuture<[HistorySlice]>

    /// Closes the link; no `received` call happens after the returned future completes.
    func shutdown() -> EventLoopFuture<Void>

    /// With per-user routing, the users this node now holds sessions of, and those it no longer holds
    /// (each user in at most one list): the broker subscribes to what it needs. Thread safe; brokers
    /// without routing ignore it.
    func route(added: [String], removed: [String])
}

extension Broker {
    public func route(added: [String], removed: [String]) {}
}

/// What a broker calls back into. Both closures are called on the broker's event loop.
public struct BrokerHandler: Sendable {
    /// Called with every complete message of one read, in arrival order.
    public var received: @Sendable ([ByteBuffer]) -> Void
    /// Called whenever ``Broker/isLinked`` changes.
    public var linkChanged: @Sendable (_ linked: Bool) -> Void
    /// Called with each message on a side channel the broker was asked to subscribe to (presence
    /// events), with the channel's name.
    public var sideReceived: @Sendable (_ channel: String, _ payload: ByteBuffer) -> Void
    /// With per-user routing: Redis confirmed the subscription to these users' channels (on a linked
    /// connection; those of a new connection come before `linkChanged(true)`, which covers them).
    public var usersSubscribed: @Sendable (_ users: [String]) -> Void

    public init(
        received: @escaping @Sendable ([ByteBuffer]) -> Void,
        linkChanged: @escaping @Sendable (_ linked: Bool) -> Void = { _ in },
        sideReceived: @escaping @Sendable (_ channel: String, _ payload: ByteBuffer) -> Void = { _, _ in },
        usersSubscribed: @escaping @Sendable (_ users: [String]) -> Void = { _ in }
    ) {
        self.received = received
        self.linkChanged = linkChanged
        self.sideReceived = sideReceived
        self.usersSubscribed = usersSubscribed
    }
}

/// What a broker says about a message it accepted.
public struct PublishReceipt: Sendable, Equatable {
    /// The message's positions, `EPOCH-OFFSET` per stream (comma-separated for several users, in the
    /// order of the deduplicated list); nil when it was published best effort, without history.
    public var positions: String?

    public init(positions: String?) {
        self.positions = positions
    }
}

/// One stream asked of ``Broker/history(_:)``.
public struct HistoryQuery: Sendable, Hashable {
    /// `u:<user>` or `all`.
    public var stream: String
    /// `EPOCH-OFFSET`: the messages after it are wanted; nil asks for the stream's position only.
    public var since: String?

    public init(stream: String, since: String?) {
        self.stream = stream
        self.since = since
    }
}

/// One stream's position and retained history, as a broker answered it.
///
/// The stream's messages `first...top` follow in `entries`, in order (none when `first > top`). When
/// `since` was in the stream's epoch, `first` is the message after it or the oldest retained, whichever is
/// later; in another epoch, `first` is the oldest retained of this one.
public struct HistorySlice: Sendable, Equatable {
    public var epoch: String
    public var top: UInt64
    public var first: UInt64
    /// The envelopes as they were published (without the `wsb` member), offsets `first` on.
    public var entries: [ByteBuffer]

    public init(epoch: String, top: UInt64, first: UInt64, entries: [ByteBuffer]) {
        self.epoch = epoch
        self.top = top
        self.first = first
        self.entries = entries
    }
}
