import Atomics
import NIOConcurrencyHelpers

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
    /// Per-user routing: the users whose sharded channels this node subscribes to.
    let userChannels = ManagedAtomic<Int>(0)
    /// Per-user routing: `SSUBSCRIBE` and `SUNSUBSCRIBE` commands sent (a handshake's too).
    let userSubscriptionCommands = ManagedAtomic<Int>(0)

    /// Liveness probes that did not come back (each rebuilt the subscription).
    let probeMisses = ManagedAtomic<Int>(0)
    /// Probes that came back.
    let probePasses = ManagedAtomic<Int>(0)
    /// Whether the last probe was missed and none has passed since.
    let probeFailing = ManagedAtomic<Bool>(false)
    /// The round trip of the last probe that came back, in nanoseconds.
    let lastProbeRoundTrip = ManagedAtomic<Int64>(0)
    /// Whether the command (publisher) connection is linked.
    let publisherLinked = ManagedAtomic<Bool>(false)
    /// Whether the publisher link can use the function library (durable publishing, history).
    let hasLibrary = ManagedAtomic<Bool>(false)
    /// Why the command connection's last attempt failed, in words; cleared when it links.
    let lastAttemptFailure = NIOLockedValueBox<String?>(nil)

    /// Linked, and the last liveness probe (if any) came back.
    var isHealthy: Bool {
        self.isLinked.load(ordering: .acquiring) && !self.probeFailing.load(ordering: .relaxed)
    }

    /// Why the broker is not healthy, in words, or nil when it is.
    var unhealthyReason: String? {
        if !self.isLinked.load(ordering: .acquiring) { return "broker link down" }
        if self.probeFailing.load(ordering: .relaxed) {
            return "subscription probe missed: the subscription is being rebuilt"
        }
        return nil
    }

    /// Counts a lost link that the health check declared dead.
    func countLoss(_ loss: RedisConnectionLoss) {
        if case .unresponsive = loss {
            self.healthTimeouts.wrappingIncrement(ordering: .relaxed)
        }
    }
}
