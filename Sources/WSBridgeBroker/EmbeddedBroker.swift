import Atomics
import NIOCore

/// The in-process broker for a single host: what this host publishes, this host receives. Zero setup.
///
/// `publish` hands the message to `handler.received([message])` on the broker's event loop, in publish
/// order, and succeeds once it has been handed over. A publish before ``start(handler:)`` or after
/// ``shutdown()`` is delivered to nobody and still succeeds (there is no other host to miss it).
public final class EmbeddedBroker: Broker {
    public let displayName = "embedded"

    private let eventLoop: EventLoop
    private let linked = ManagedAtomic<Bool>(false)
    private let handler: NIOLoopBoundBox<BrokerHandler?>

    public init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
        self.handler = NIOLoopBoundBox.makeEmptyBox(valueType: BrokerHandler.self, eventLoop: eventLoop)
    }

    public var isLinked: Bool {
        self.linked.load(ordering: .acquiring)
    }

    public func start(handler: BrokerHandler) {
        self.eventLoop.execute {
            guard self.handler.value == nil else { return }
            self.handler.value = handler
            self.linked.store(true, ordering: .releasing)
            handler.linkChanged(true)
        }
    }

    public func publish(_ message: ByteBuffer) -> EventLoopFuture<Void> {
        // `submit` runs tasks in submission order, so messages arrive in publish order.
        self.eventLoop.submit {
            self.handler.value?.received([message])
        }
    }

    public func shutdown() -> EventLoopFuture<Void> {
        self.eventLoop.submit {
            guard let handler = self.handler.value else { return }
            self.handler.value = nil
            self.linked.store(false, ordering: .releasing)
            handler.linkChanged(false)
        }
    }
}
