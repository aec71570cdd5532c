import NIOCore
import WSBridgeProtocol

/// The requests in flight on one app connection, and which one a reply answers.
///
/// Ids are assigned here, as incrementing integers from 1, in the order requests are written, so the
/// in-flight list is in wire order. A reply is matched by its `id`; a reply without one (an `error`
/// about a frame the daemon could not read far enough to find its id) answers the oldest request,
/// since wsbridge replies in request order (`docs/protocol.md`, "Ordering guarantees").
///
/// A plain value with no I/O: the handler performs what it returns. `Waiter` is whatever the caller
/// completes with the reply (a promise in the client, anything in tests).
struct ReplyMatcher<Waiter> {
    private var nextID: Int
    private var inFlight: CircularBuffer<(id: RequestID, waiter: Waiter)> = []

    init(firstID: Int = 1) {
        self.nextID = firstID
    }

    /// How many requests await their reply.
    var count: Int {
        inFlight.count
    }

    /// The id for the next request.
    mutating func assignID() -> RequestID {
        defer { nextID += 1 }
        return RequestID(nextID)
    }

    /// Records that the request `id` was written and `waiter` awaits its reply.
    mutating func expect(_ id: RequestID, _ waiter: Waiter) {
        inFlight.append((id: id, waiter: waiter))
    }

    /// Takes the waiter of the request a reply with `id` answers, or nil if it answers none in flight.
    mutating func match(_ id: RequestID?) -> Waiter? {
        guard let id else {
            return inFlight.popFirst()?.waiter
        }
        return withdraw(id)
    }

    /// Takes the waiter of the request `id` (whose reply will never come, for example because it
    /// could not be written), or nil if it is not in flight.
    mutating func withdraw(_ id: RequestID) -> Waiter? {
        // Replies come in request order: the answered request is almost always the first.
        guard let index = inFlight.firstIndex(where: { $0.id == id }) else { return nil }
        return inFlight.remove(at: index).waiter
    }

    /// Takes every waiter, oldest first: the connection is over.
    mutating func removeAll() -> [Waiter] {
        defer { inFlight.removeAll() }
        return inFlight.map(\.waiter)
    }
}
