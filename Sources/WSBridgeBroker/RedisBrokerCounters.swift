import Atomics

/// The state of a ``RedisBroker`` that other threads read: written on the broker's event loop only.
final class RedisBrokerCounters: Sendable {
    /// Whether the subscription is established.
    let isLinked = ManagedAtomic<Bool>(false)
    /// Connections (subscriber or publisher) re-established after having been linked and lost.
    let reconnects = ManagedAtomic<Int>(0)
    /// Pushes on the subscriber connection that were not a `message` for the broker's channel.
    let ignoredPushes = ManagedAtomic<Int>(0)
    /// Linked connections (subscriber or publisher) closed by the health check: no answer to a `PING`.
    let healthTimeouts = ManagedAtomic<Int>(0)

    /// Counts a lost link that the health check declared dead.
    func countLoss(_ loss: RedisConnectionLoss) {
        if case .unresponsive = loss {
            self.healthTimeouts.wrappingIncrement(ordering: .relaxed)
        }
    }
}
