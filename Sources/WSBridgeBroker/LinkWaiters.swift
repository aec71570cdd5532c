import NIOCore

/// One-shot tools waiting for a link to come up, or for the first failed attempt: each with a deadline.
/// Confined to one event loop; not `Sendable`.
final class LinkWaiters {
    private let eventLoop: EventLoop
    private var waiters: [(promise: EventLoopPromise<Void>, deadline: Scheduled<Void>)] = []

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    /// A future that ``settle(_:)`` completes, or that fails with ``RedisBrokerError/notConnected`` after
    /// `timeout`.
    func wait(within timeout: TimeAmount) -> EventLoopFuture<Void> {
        let promise = self.eventLoop.makePromise(of: Void.self)
        let deadline = self.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            guard let self, let index = self.waiters.firstIndex(where: { $0.promise.futureResult === promise.futureResult }) else {
                return
            }
            self.waiters.remove(at: index)
            promise.fail(RedisBrokerError.notConnected)
        }
        self.waiters.append((promise, deadline))
        return promise.futureResult
    }

    /// Completes every waiting future with `result`.
    func settle(_ result: Result<Void, any Error>) {
        let waiters = self.waiters
        self.waiters = []
        for waiter in waiters {
            waiter.deadline.cancel()
            waiter.promise.completeWith(result)
        }
    }
}

@available(*, unavailable)
extension LinkWaiters: Sendable {}

extension PublishReceipt {
    /// The receipt in Redis' reply to `FCALL wsbridge_publish`: the positions, or the error it is.
    static func fromFunctionReply(_ reply: RESPValue) throws -> PublishReceipt {
        switch reply {
        case .bulkString(let positions?):
            return PublishReceipt(positions: String(buffer: positions))
        case .error(let message):
            throw RedisBrokerError.publishRejected(message)
        default:
            throw RedisBrokerError.unexpectedReply(RedisHandshake.describe(reply))
        }
    }
}
