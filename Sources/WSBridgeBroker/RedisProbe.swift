import NIOCore

/// The end-to-end liveness probe of the subscription: a state machine with no I/O.
///
/// A connection can be up and answer `PING` while its subscription silently delivers nothing (a server
/// bug, a proxy in between, a subscription dropped on the server's side). So every `interval` the
/// broker publishes a token on the node's own probe channel, which the subscriber connection is also
/// subscribed to, and expects it back within the next interval:
///
/// ```
///  tick ──▶ send(token) ──▶ PUBLISH <channel>:probe:<node> token
///              │   ├─ reply :0 (no subscriber)  ──▶ missed     (Redis itself says we are not subscribed)
///              │   └─ token arrives on the subscription ──▶ passed (round trip recorded)
///  next tick, token not back ──▶ missed ──▶ the subscription is rebuilt; /healthz says so until one passes
/// ```
///
/// Only runs while both connections are linked; a link loss forgets the probe in flight.
struct RedisProbe {
    enum Action: Equatable {
        /// Publish this token on the probe channel.
        case send(String)
        /// No token came back in time (or Redis counted no subscriber): rebuild the subscription.
        case missed
    }

    let interval: TimeAmount
    private let instance: String
    private var sequence = 0
    private var awaiting: (token: String, sentAt: NIODeadline)?
    /// Whether the last probe was missed (and none has passed since).
    private(set) var isFailing = false

    init(interval: TimeAmount, instance: String = String(UInt32.random(in: .min ... .max), radix: 36)) {
        self.interval = interval
        self.instance = instance
    }

    /// Called every `interval`; `linked`: both connections are usable.
    mutating func tick(now: NIODeadline, linked: Bool) -> [Action] {
        var actions: [Action] = []
        if let awaiting, now - awaiting.sentAt >= self.interval {
            self.awaiting = nil
            self.isFailing = true
            actions.append(.missed)
        }
        if linked, self.awaiting == nil, actions.isEmpty {
            self.sequence += 1
            let token = "\(self.instance):\(self.sequence)"
            self.awaiting = (token, now)
            actions.append(.send(token))
        }
        return actions
    }

    /// A message arrived on the probe channel; returns the round trip when it is the token awaited.
    mutating func received(_ token: String, now: NIODeadline) -> TimeAmount? {
        guard let awaiting, awaiting.token == token else { return nil }
        self.awaiting = nil
        self.isFailing = false
        return now - awaiting.sentAt
    }

    /// Redis answered the probe's `PUBLISH` with its number of receivers: 0 means it knows of no
    /// subscription of ours, which is a miss at once.
    mutating func published(_ token: String, receivers: Int64) -> Action? {
        guard receivers == 0, let awaiting, awaiting.token == token else { return nil }
        self.awaiting = nil
        self.isFailing = true
        return .missed
    }

    /// A connection was lost: the token in flight proves nothing either way.
    mutating func linkLost() {
        self.awaiting = nil
    }
}
