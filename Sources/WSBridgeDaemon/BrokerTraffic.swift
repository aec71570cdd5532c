import Atomics
import NIOCore

/// Messages through the broker, counted where the daemon meets it, the same way for the embedded and
/// the Redis broker. Relaxed atomics: one increment per broker read and per publish. Thread safe.
final class BrokerTraffic: Sendable {
    /// Messages the broker handed over (valid envelopes or not).
    let received = ManagedAtomic<Int>(0)
    /// Publishes the broker accepted.
    let published = ManagedAtomic<Int>(0)
    /// Publishes the broker refused or could not take (link down).
    let publishFailures = ManagedAtomic<Int>(0)

    /// Counts `count` messages handed over by the broker.
    func countReceived(_ count: Int) {
        self.received.wrappingIncrement(by: count, ordering: .relaxed)
    }

    /// Counts the outcome of one publish and passes it on.
    func track<T>(_ publish: EventLoopFuture<T>) -> EventLoopFuture<T> {
        publish.always { result in
            switch result {
            case .success: self.published.wrappingIncrement(ordering: .relaxed)
            case .failure: self.publishFailures.wrappingIncrement(ordering: .relaxed)
            }
        }
    }
}
