import NIOCore

/// The link between this host and every other host: what one host publishes, every host receives.
///
/// Two implementations: ``EmbeddedBroker`` (in-process, one host, zero setup) and ``RedisBroker``
/// (Redis pub/sub on one channel). The daemon starts exactly one.
///
/// Threading: ``start(handler:)`` is called once. The handler's `received` is called on the broker's own
/// event loop, once per network read, with every complete message of that read in arrival order. A
/// message handed to `received` is never dropped by the broker afterwards.
public protocol Broker: AnyObject, Sendable {
    /// A short description for logs and status, without credentials (for example `redis://127.0.0.1:6379/0`).
    var displayName: String { get }

    /// Whether the broker link is up right now (the subscription is established). Cheap and thread safe.
    var isLinked: Bool { get }

    /// Starts the link. Never fails: an unreachable broker is retried in the background.
    func start(handler: BrokerHandler)

    /// Publishes one message to every host (including this one). Succeeds once the broker has accepted it.
    func publish(_ message: ByteBuffer) -> EventLoopFuture<Void>

    /// Closes the link; no `received` call happens after the returned future completes.
    func shutdown() -> EventLoopFuture<Void>
}

/// What a broker calls back into. Both closures may be called on any event loop the broker owns.
public struct BrokerHandler: Sendable {
    /// Called with every complete message of one read, in arrival order.
    public var received: @Sendable ([ByteBuffer]) -> Void
    /// Called whenever ``Broker/isLinked`` changes.
    public var linkChanged: @Sendable (_ linked: Bool) -> Void

    public init(
        received: @escaping @Sendable ([ByteBuffer]) -> Void,
        linkChanged: @escaping @Sendable (_ linked: Bool) -> Void = { _ in }
    ) {
        self.received = received
        self.linkChanged = linkChanged
    }
}
