import Atomics
import NIOCore

/// The in-process broker for a single host: what this host publishes, this host receives. Zero setup.
///
/// `publish` hands the message to `handler.received([message])` on the broker's event loop, in publish
/// order, and succeeds once it has been handed over. A publish before ``start(handler:)`` or after
/// ``shutdown()`` is delivered to nobody and still succeeds (there is no other host to miss it).
///
/// With history settings, publishing is durable the same way as through Redis' function library: each
/// message is appended to the history of its streams (named by `streams`, which reads an envelope's
/// target) and handed on as a ``DurableMessage``; ``history(_:)`` answers from the same memory. The
/// history lives as long as the process.
public final class EmbeddedBroker: Broker {
    public let displayName = "embedded"
    public let eventLoop: EventLoop

    private let linked = ManagedAtomic<Bool>(false)
    private let historyStreamCount = ManagedAtomic<Int>(0)
    private let historyMessageCount = ManagedAtomic<Int>(0)
    private let state: NIOLoopBoundBox<State>
    private let streams: (@Sendable (ByteBuffer) -> [String]?)?

    private struct State {
        var handler: BrokerHandler?
        var history: MemoryHistory?
        var sweep: RepeatedTask?
    }

    /// - Parameters:
    ///   - history: keep a history with these settings; nil publishes without positions.
    ///   - streams: the streams (`u:<user>`, `all`) an envelope is for, nil for one that is not valid
    ///     (published without history); only used with `history`.
    public init(
        eventLoop: EventLoop, history: EmbeddedBrokerHistorySettings? = nil,
        streams: (@Sendable (ByteBuffer) -> [String]?)? = nil
    ) {
        self.eventLoop = eventLoop
        self.streams = streams
        let memory = history.map { MemoryHistory(settings: $0) }
        self.state = NIOLoopBoundBox.makeBoxSendingValue(State(history: memory), eventLoop: eventLoop)
    }

    public var isLinked: Bool {
        self.linked.load(ordering: .acquiring)
    }

    public var isHealthy: Bool { self.isLinked }

    /// Streams the history keeps a position for, and the messages it holds (once per stream they are
    /// in); 0 without history. Thread safe.
    public var historyStreams: Int { self.historyStreamCount.load(ordering: .relaxed) }
    public var historyMessages: Int { self.historyMessageCount.load(ordering: .relaxed) }

    /// Publishes the history's sizes for ``historyStreams`` and ``historyMessages``; on the loop.
    private func countHistory() {
        guard let history = self.state.value.history else { return }
        self.historyStreamCount.store(history.streamCount, ordering: .relaxed)
        self.historyMessageCount.store(history.messageCount, ordering: .relaxed)
    }

    public var unhealthyReason: String? { self.isLinked ? nil : "embedded broker not started" }

    public func start(handler: BrokerHandler) {
        self.eventLoop.execute {
            guard self.state.value.handler == nil else { return }
            self.state.value.handler = handler
            if let ttl = self.state.value.history?.settings.ttl {
                let interval = TimeAmount.nanoseconds(max(1_000_000_000, min(60_000_000_000, ttl.nanoseconds)))
                self.state.value.sweep = self.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
                    self.state.value.history?.sweep(now: .now())
                    self.countHistory()
                }
            }
            self.linked.store(true, ordering: .releasing)
            handler.linkChanged(true)
        }
    }

    public func publish(_ message: ByteBuffer) -> EventLoopFuture<PublishReceipt> {
        // `submit` runs tasks in submission order, so messages arrive in publish order.
        self.eventLoop.submit {
            var receipt = PublishReceipt(positions: nil)
            var delivered = message
            if self.state.value.history != nil, let streams = self.streams?(message) {
                let now = NIODeadline.now()
                let positions = streams.map { self.state.value.history!.append(message, to: $0, now: now) }
                self.countHistory()
                let joined = positions.joined(separator: ",")
                if let wrapped = DurableMessage.wrap(positions: joined, envelope: message, allocator: ByteBufferAllocator()) {
                    receipt.positions = joined
                    delivered = wrapped
                }
            }
            self.state.value.handler?.received([delivered])
            return receipt
        }
    }

    public func history(_ queries: [HistoryQuery]) -> EventLoopFuture<[HistorySlice]> {
        self.eventLoop.submit {
            guard self.state.value.history != nil else { throw EmbeddedBrokerError.noHistory }
            let slices = self.state.value.history!.history(queries, now: .now())
            self.countHistory()
            return slices
        }
    }

    public func shutdown() -> EventLoopFuture<Void> {
        self.eventLoop.submit {
            self.state.value.sweep?.cancel()
            self.state.value.sweep = nil
            guard let handler = self.state.value.handler else { return }
            self.state.value.handler = nil
            self.linked.store(false, ordering: .releasing)
            handler.linkChanged(false)
        }
    }
}

/// How much the embedded broker keeps (`history_size`, `history_ttl`, `history_meta_ttl`).
public struct EmbeddedBrokerHistorySettings: Sendable {
    public var size: Int
    public var ttl: TimeAmount
    public var metaTTL: TimeAmount

    public init(size: Int, ttl: TimeAmount, metaTTL: TimeAmount) {
        self.size = size
        self.ttl = ttl
        self.metaTTL = metaTTL
    }
}

/// Why the embedded broker could not answer.
public enum EmbeddedBrokerError: Error, Sendable, CustomStringConvertible {
    /// It was made without history settings.
    case noHistory

    public var description: String {
        switch self {
        case .noHistory: "the embedded broker keeps no history"
        }
    }
}
