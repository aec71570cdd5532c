import NIOConcurrencyHelpers
import NIOCore

extension EventLoopFuture {
    /// Waits until the future completes or `deadline` passes, whichever comes first: true if it
    /// completed.
    @discardableResult
    func completion(before deadline: NIODeadline) async -> Bool {
        let loop = self.eventLoop
        let outcome = loop.makePromise(of: Bool.self)
        let decided = NIOLockedValueBox(false)
        let decide: @Sendable (Bool) -> Void = { completed in
            let first = decided.withLockedValue { decided in
                defer { decided = true }
                return !decided
            }
            if first { outcome.succeed(completed) }
        }
        let timer = loop.scheduleTask(deadline: deadline) { decide(false) }
        self.whenComplete { _ in
            timer.cancel()
            decide(true)
        }
        return (try? await outcome.futureResult.get()) ?? false
    }
}
