import WSBridgeProtocol

/// Keeps replies in request order although some (a `publish`) complete later than the requests after
/// them: each request takes a ticket; a reply is released once every earlier ticket's reply is.
struct ReplySequencer {
    struct Ticket: Hashable { let number: Int }

    private var next = 0
    private var released = 0
    private var ready: [Int: AppEvent] = [:]

    mutating func take() -> Ticket {
        defer { self.next += 1 }
        return Ticket(number: self.next)
    }

    /// Records the reply for `ticket` and returns every reply now releasable, in order.
    mutating func complete(_ ticket: Ticket, with reply: AppEvent) -> [AppEvent] {
        self.ready[ticket.number] = reply
        var out: [AppEvent] = []
        while let event = self.ready.removeValue(forKey: self.released) {
            out.append(event)
            self.released += 1
        }
        return out
    }
}
