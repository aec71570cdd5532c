import NIOCore

/// A handshake's place in its shard's ``HandshakeTable``. Serial numbers are never reused, so a late
/// `end` can never remove another connection's entry.
public struct HandshakeTicket: Hashable, Sendable {
    fileprivate let serial: UInt64
}

/// The connections of one shard in their handshake, and when each one's `handshake_timeout` runs
/// out. A value type with no I/O: the shard passes the time in and keeps the one timer it asks for.
///
/// One timer per shard instead of one per connection: a NIO timer per connect costs a promise, a
/// closure and two heap operations on the loop's timer queue, about 4 % of a connect's CPU. Here a
/// connect costs a table entry and a place in a queue in the order handshakes began, which is the
/// order their time runs out in: every handshake's limit is the latest `timeout` the shard was given
/// (a reload applies to the handshakes under way too).
///
///     begin(h, now, timeout) -> (ticket, arm: deadline?)   arm: (re)arm the timer for then
///     end(ticket)                                           opened or closed; no timer change
///     expire(now) -> (timedOut: [h], arm: deadline?)        the timer fired
///     takeAll() -> [h]                                      the shard drains
struct HandshakeTable {
    private var entries: [UInt64: any PendingHandshake] = [:]
    /// Serials and start times, in the order the handshakes began; entries that ended are dropped as
    /// they reach the front.
    private var order = CircularBuffer<(serial: UInt64, began: NIODeadline)>(initialCapacity: 4)
    private var lastSerial: UInt64 = 0
    private var timeout: TimeAmount = .seconds(10)
    /// When the armed timer fires; nil when none is armed.
    private(set) var armedFor: NIODeadline?

    /// The handshakes under way.
    var pending: [any PendingHandshake] { Array(self.entries.values) }
    var count: Int { self.entries.count }
    /// Places in the queue, ended ones not yet dropped included (for tests).
    var queuedCount: Int { self.order.count }

    /// Holds `handshake`, whose time runs out `timeout` after `now`. Returns when to arm the timer, if
    /// it must be armed (or armed earlier).
    mutating func begin(
        _ handshake: any PendingHandshake, now: NIODeadline, timeout: TimeAmount
    ) -> (ticket: HandshakeTicket, arm: NIODeadline?) {
        self.lastSerial += 1
        self.entries[self.lastSerial] = handshake
        self.order.append((self.lastSerial, now))
        self.timeout = timeout
        return (HandshakeTicket(serial: self.lastSerial), self.rearm())
    }

    /// The handshake ended (its connection opened, or closed): it is no longer held, whether or not it
    /// timed out. Ending one twice, or one taken by ``takeAll()``, does nothing.
    mutating func end(_ ticket: HandshakeTicket) {
        guard self.entries.removeValue(forKey: ticket.serial) != nil else { return }
        self.dropEndedAtFront()
    }

    /// The timer fired at `now`: the handshakes whose time ran out, oldest first (they stay held until
    /// they end, so that a drain still waits for their connections), and when to arm the timer next.
    mutating func expire(now: NIODeadline) -> (timedOut: [any PendingHandshake], arm: NIODeadline?) {
        self.armedFor = nil
        var timedOut: [any PendingHandshake] = []
        while let front = self.order.first, front.began + self.timeout <= now {
            self.order.removeFirst()
            if let handshake = self.entries[front.serial] {
                timedOut.append(handshake)
            }
        }
        self.dropEndedAtFront()
        return (timedOut, self.rearm())
    }

    /// Every handshake under way, no longer held (the shard drains).
    mutating func takeAll() -> [any PendingHandshake] {
        let all = Array(self.entries.values)
        self.entries = [:]
        self.order.removeAll()
        self.armedFor = nil
        return all
    }

    private mutating func dropEndedAtFront() {
        while let front = self.order.first, self.entries[front.serial] == nil {
            self.order.removeFirst()
        }
    }

    /// The front's deadline, when the timer is not armed for it or earlier.
    private mutating func rearm() -> NIODeadline? {
        guard let front = self.order.first else { return nil }
        let deadline = front.began + self.timeout
        if let armed = self.armedFor, armed <= deadline { return nil }
        self.armedFor = deadline
        return deadline
    }
}
