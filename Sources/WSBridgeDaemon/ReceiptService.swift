import Atomics
import NIOCore
import WSBridgeAppLink
import WSBridgeBroker
import WSBridgeCore
import WSBridgeProtocol

/// Delivery receipts: a `publish` with `"receipt": true` is answered once every host that held its
/// users reported what the message reached there, or when `receipt_window` ends.
///
/// ```
///  publishing host                                   every host (this one too)
///  holders ← presence of the users (one round trip)
///  open the receipt, expecting those hosts
///  publish {"wsr":"NODE ID HOST…", …}  ───────────▶  deliver; once every shard counted it:
///                                                    report to <channel>:receipt:NODE if it reached
///  report(…) ◀─────────────────────────────────────  someone, or if it is named in the request
///  last expected host reported, or the window ended ──▶ ok {"receipt": {…}}
/// ```
///
/// A message to `all` asks every host to report (`wsr` names the host `*`); it completes when every
/// live host reported. The bookkeeping is ``ReceiptBook``, on the broker's event loop.
final class ReceiptService: Sendable {
    let counters = Counters()
    private let node: String
    private let channel: String
    private let window: TimeAmount
    private let broker: any Broker
    private let presence: PresenceService
    private let eventLoop: EventLoop
    private let state: NIOLoopBoundBox<State>

    /// What receipts cost and found, since start. Thread safe.
    final class Counters: Sendable {
        /// Receipts answered because every expected host reported.
        let completed = ManagedAtomic<Int>(0)
        /// Receipts answered when the window ended, with hosts still silent.
        let timedOut = ManagedAtomic<Int>(0)
        /// Expected hosts that did not report in time, summed over receipts.
        let unknownHosts = ManagedAtomic<Int>(0)
        /// Reports this host sent to other hosts, and received from them.
        let reportsSent = ManagedAtomic<Int>(0)
        let reportsReceived = ManagedAtomic<Int>(0)
    }

    private struct State {
        var book = ReceiptBook()
        var nextID: UInt64 = 0
        var waiting: [UInt64: (promise: EventLoopPromise<ReceiptBook.Summary>, timer: Scheduled<Void>)] = [:]
        /// Publishes cut into pieces (a cluster's `users`): what this host counted of each so far.
        var pieces: [PieceKey: PieceCount] = [:]
    }

    private struct PieceKey: Hashable {
        var replyTo: String
        var id: UInt64
    }

    private struct PieceCount {
        var counted = 0
        var total = 0
        var users: [String: Int] = [:]
        var expiry: Scheduled<Void>?
    }

    init(node: String, channel: String, window: TimeAmount, broker: any Broker, presence: PresenceService) {
        self.node = node
        self.channel = channel
        self.window = window
        self.broker = broker
        self.presence = presence
        self.eventLoop = broker.eventLoop
        self.state = NIOLoopBoundBox.makeBoxSendingValue(State(), eventLoop: broker.eventLoop)
    }

    /// The channel hosts report to `node` on.
    static func reportChannel(_ channel: String, node: String) -> String { "\(channel):receipt:\(node)" }

    /// This host's report channel, for the broker to subscribe to.
    var reportChannel: String { Self.reportChannel(self.channel, node: self.node) }

    // MARK: Publishing

    /// Publishes `publication`: as it is without a receipt; with one, stamped with its `wsr` and
    /// answered once its receipt is complete.
    func publish(
        _ publication: AppPublication, through publish: @escaping @Sendable (ByteBuffer) -> EventLoopFuture<PublishReceipt>
    ) -> EventLoopFuture<AppPublication.Outcome> {
        guard publication.receipt else {
            return publish(publication.envelope).map { AppPublication.Outcome(positions: $0.positions) }
        }
        let users: [String]?
        switch publication.target {
        case .user(let user): users = [user]
        case .users(let list): users = list
        case .all: users = nil
        }
        let holders: EventLoopFuture<[String: Set<String>]>
        let expected: EventLoopFuture<Set<String>>
        if let users {
            holders = self.presence.holders(users)
            expected = holders.map { [node] holders in holders.values.reduce(into: Set([node])) { $0.formUnion($1) } }
        } else {
            holders = self.eventLoop.makeSucceededFuture([:])
            expected = self.presence.liveHosts()
        }
        let lookup = holders.and(expected).hop(to: self.eventLoop).flatMapErrorThrowing { error in
            throw ReceiptLookupError(PresenceLookupError(error))
        }
        return lookup.flatMap { holders, expected in
            let (id, summary) = self.open(users: users, holders: holders, expected: expected)
            let hosts = users == nil ? ["*"] : expected.subtracting([self.node]).sorted()
            // A Redis Cluster publishes `users` one user at a time: hosts report once they counted all.
            let pieces = self.broker is RedisClusterBroker ? max(1, Set(users ?? []).count) : 1
            let request = ReceiptRequest(replyTo: self.node, id: id, hosts: hosts, pieces: pieces)
            return publish(request.stamp(publication.envelope))
                .hop(to: self.eventLoop)
                .flatMapError { error in
                    self.cancel(id)
                    return self.eventLoop.makeFailedFuture(error)
                }
                .flatMap { receipt in
                    summary.map { AppPublication.Outcome(positions: receipt.positions, receipt: AppReceipt($0)) }
                }
        }
    }

    /// Opens a receipt; its future succeeds with the summary when it completes or its window ends.
    private func open(
        users: [String]?, holders: [String: Set<String>], expected: Set<String>
    ) -> (UInt64, EventLoopFuture<ReceiptBook.Summary>) {
        self.state.value.nextID += 1
        let id = self.state.value.nextID
        self.state.value.book.open(id, users: users, holders: holders, expected: expected)
        let promise = self.eventLoop.makePromise(of: ReceiptBook.Summary.self)
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        let timer = self.eventLoop.scheduleTask(in: self.window) {
            let service = loopBound.value
            guard let summary = service.state.value.book.close(id) else { return }
            service.counters.timedOut.wrappingIncrement(ordering: .relaxed)
            service.finish(id, summary)
        }
        self.state.value.waiting[id] = (promise, timer)
        return (id, promise.futureResult)
    }

    private func cancel(_ id: UInt64) {
        self.state.value.book.cancel(id)
        guard let (promise, timer) = self.state.value.waiting.removeValue(forKey: id) else { return }
        timer.cancel()
        promise.fail(ReceiptCancelled())
    }

    private func finish(_ id: UInt64, _ summary: ReceiptBook.Summary) {
        self.counters.unknownHosts.wrappingIncrement(by: summary.unknownHosts, ordering: .relaxed)
        guard let (promise, timer) = self.state.value.waiting.removeValue(forKey: id) else { return }
        timer.cancel()
        promise.succeed(summary)
    }

    /// Answers every receipt still waiting with what it has now (the daemon is stopping: its timers
    /// would not run).
    func stop() -> EventLoopFuture<Void> {
        self.eventLoop.submit {
            for id in self.state.value.waiting.keys.sorted() {
                guard let summary = self.state.value.book.close(id) else { continue }
                self.counters.timedOut.wrappingIncrement(ordering: .relaxed)
                self.finish(id, summary)
            }
        }
    }

    // MARK: Reports

    /// The shards of this host counted a message that asks for a receipt (from the router).
    func counted(_ request: ReceiptRequest, total: Int, users: [String: Int]) {
        guard request.pieces > 1 else {
            self.report(request, total: total, users: users)
            return
        }
        self.eventLoop.execute { self.countedPiece(request, total: total, users: users) }
    }

    /// One piece of a publish that became several: the report goes once every piece was counted, or
    /// with what was when the receipt's window has passed twice (a piece that never came).
    private func countedPiece(_ request: ReceiptRequest, total: Int, users: [String: Int]) {
        let key = PieceKey(replyTo: request.replyTo, id: request.id)
        var count = self.state.value.pieces[key] ?? PieceCount()
        count.counted += 1
        count.total += total
        count.users.merge(users, uniquingKeysWith: +)
        guard count.counted >= request.pieces else {
            if count.expiry == nil {
                let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
                count.expiry = self.eventLoop.scheduleTask(in: self.window * 2) {
                    let service = loopBound.value
                    guard let late = service.state.value.pieces.removeValue(forKey: key) else { return }
                    service.report(request, total: late.total, users: late.users)
                }
            }
            self.state.value.pieces[key] = count
            return
        }
        self.state.value.pieces[key] = nil
        count.expiry?.cancel()
        self.report(request, total: count.total, users: count.users)
    }

    private func report(_ request: ReceiptRequest, total: Int, users: [String: Int]) {
        let report = ReceiptReport(id: request.id, node: self.node, total: total, users: users)
        if request.replyTo == self.node {
            self.eventLoop.execute { self.received(report) }
            return
        }
        guard total > 0 || request.hosts.contains(self.node) || request.hosts == ["*"],
            let redis = self.broker as? any RedisBackedBroker
        else { return }
        self.counters.reportsSent.wrappingIncrement(ordering: .relaxed)
        let channel = Self.reportChannel(self.channel, node: request.replyTo)
        _ = redis.send(RedisCommand(arguments: [ByteBuffer(string: "PUBLISH"), ByteBuffer(string: channel), report.json]), key: nil)
    }

    /// A report on this host's report channel.
    func reportReceived(_ payload: ByteBuffer) {
        guard let report = ReceiptReport(json: payload) else { return }
        self.counters.reportsReceived.wrappingIncrement(ordering: .relaxed)
        self.eventLoop.execute { self.received(report) }
    }

    private func received(_ report: ReceiptReport) {
        guard let summary = self.state.value.book.report(report) else { return }
        self.counters.completed.wrappingIncrement(ordering: .relaxed)
        self.finish(report.id, summary)
    }
}

/// The presence a receipt needs could not be read: the message was not published.
struct ReceiptLookupError: Error, CustomStringConvertible {
    var cause: PresenceLookupError

    init(_ cause: PresenceLookupError) { self.cause = cause }

    var description: String { "no receipt possible, so the message was not published: \(self.cause)" }
}

/// Why presence could not be read, in words an app can log.
struct PresenceLookupError: Error, CustomStringConvertible {
    var description: String

    init(_ error: any Error) {
        switch error {
        case let error as PresenceLookupError:
            self = error
        case let error as RedisBrokerError where error == .notConnected:
            self.description = "Redis is not connected (the daemon is reconnecting)"
        case let error as RedisBrokerError where error == .shutDown:
            self.description = "the daemon is shutting down"
        default:
            self.description = "\(error)"
        }
    }
}

/// A receipt whose publish failed (the publish's own error is what the app hears).
struct ReceiptCancelled: Error {}

extension AppReceipt {
    init(_ summary: ReceiptBook.Summary) {
        self.init(
            sessions: summary.sessions, hosts: summary.hosts, unknownHosts: summary.unknownHosts,
            users: summary.users.map { AppPresence(user: $0.user, sessions: $0.sessions, hosts: $0.hosts) },
            offline: summary.offline)
    }
}
