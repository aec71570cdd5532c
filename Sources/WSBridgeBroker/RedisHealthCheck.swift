import NIOCore

/// Notices a linked Redis connection that stopped answering. Without it a half-open socket (the host
/// vanished without a FIN) or a frozen server looks exactly like a quiet channel: the subscriber would
/// wait forever and publishes would never complete.
///
/// ```
///  linked ──(nothing read for interval)──▶ due(.ping) ──(nothing read for interval)──▶ due(.unresponsive)
///                  ▲                            │
///                  └────── any bytes read ──────┘
/// ```
///
/// Any bytes read count as liveness (a long message still arriving is not silence), so the handler
/// calls ``readSomething()`` once per read burst. Time comes from the event loop's clock, so tests drive
/// it with `EmbeddedEventLoop.advanceTime`. Only runs while linked: the handshake has its own connect
/// timeout. Event-loop bound: not `Sendable`.
final class RedisHealthCheck {
    enum Verdict {
        /// Silent for the interval: send a `PING` to provoke an answer.
        case ping
        /// Still silent an interval after the `PING`: the link is dead. The check has stopped.
        case unresponsive
    }

    let interval: TimeAmount
    private var eventLoop: EventLoop?
    private var lastRead = NIODeadline.uptimeNanoseconds(0)
    private var pingSent: NIODeadline?
    private var timer: Scheduled<Void>?
    private var due: ((Verdict) -> Void)?

    init(interval: TimeAmount) {
        self.interval = interval
    }

    /// Starts watching (the connection just linked); `due` is called on `eventLoop` with each verdict.
    func start(on eventLoop: EventLoop, due: @escaping (Verdict) -> Void) {
        self.eventLoop = eventLoop
        self.due = due
        self.lastRead = eventLoop.now
        self.pingSent = nil
        self.schedule(at: self.lastRead + self.interval)
    }

    /// Bytes arrived: the link is alive, and any `PING` in flight has done its job.
    func readSomething() {
        guard let eventLoop = self.eventLoop else { return }
        self.lastRead = eventLoop.now
        self.pingSent = nil
    }

    /// Stops the timer and drops `due` (which usually captures the handler: this breaks the cycle).
    func stop() {
        self.timer?.cancel()
        self.timer = nil
        self.due = nil
        self.eventLoop = nil
    }

    private func schedule(at deadline: NIODeadline) {
        guard let eventLoop = self.eventLoop else { return }
        self.timer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timerFired()
        }
    }

    /// Reads do not touch the timer (one clock read per burst is all they cost): when it fires early
    /// because something was read meanwhile, it is simply moved to the new deadline.
    private func timerFired() {
        guard let eventLoop = self.eventLoop, let due = self.due else { return }
        let now = eventLoop.now
        if let pingSent = self.pingSent {
            guard now >= pingSent + self.interval else {
                return self.schedule(at: pingSent + self.interval)
            }
            self.stop()
            due(.unresponsive)
        } else {
            guard now >= self.lastRead + self.interval else {
                return self.schedule(at: self.lastRead + self.interval)
            }
            self.pingSent = now
            self.schedule(at: now + self.interval)
            due(.ping)
        }
    }
}

@available(*, unavailable)
extension RedisHealthCheck: Sendable {}
