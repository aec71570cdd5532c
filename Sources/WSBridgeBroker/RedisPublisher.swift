import Logging
import NIOCore

/// The sending half of ``RedisBroker``: one connection for commands (publishes, history, probes),
/// separate from the subscription (a subscribed connection may not run them). Confined to the broker's
/// event loop; not `Sendable`.
///
/// Commands are pipelined: each is written at once and every write of one event-loop tick shares a
/// single flush. While the connection is down, commands fail at once with
/// ``RedisBrokerError/notConnected`` instead of piling up in memory.
///
/// With a function library (``RedisFunctionLibrary``) that the link could use, a publish is
/// `FCALL wsbridge_publish 0 ENVELOPE` (durable: the receipt carries the positions); without one it is a
/// plain `PUBLISH` (best effort).
final class RedisPublisher {
    private let supervisor: RedisConnectionSupervisor
    private let channelName: String
    private let eventLoop: EventLoop
    private let logger: Logger
    private let counters: RedisBrokerCounters
    private var flushScheduled = false
    /// What the current link found about the library; nil while down, or without a library.
    private(set) var libraryStatus: RedisLibraryStatus?
    /// The last status logged, so that a relink finding the same says nothing new.
    private var loggedStatus: RedisLibraryStatus?
    /// Called after the link came or went (and the library status with it): a cluster broker sums its
    /// masters' links.
    var onStatusChange: () -> Void = {}
    /// Called when an attempt to connect fails, with why, in words.
    var onAttemptFailed: (String) -> Void = { _ in }
    /// One-shot tools waiting for the first outcome of connecting: a link, or a failed attempt.
    private let linkWaiters: LinkWaiters

    init(
        _ connection: RedisConnectionSettings,
        channel: String,
        library: RedisFunctionLibrary?,
        libraryPolicy: RedisHandshake.LibraryPolicy = .replace,
        counters: RedisBrokerCounters
    ) {
        self.channelName = channel
        self.eventLoop = connection.eventLoop
        self.linkWaiters = LinkWaiters(eventLoop: connection.eventLoop)
        self.logger = connection.logger
        let handshake = RedisHandshake.publisher(target: connection.target, library: library, policy: libraryPolicy)
        let box = LibraryStatusBox()
        self.supervisor = RedisConnectionSupervisor(role: .publisher, settings: connection) { events in
            RedisPublisherHandler(
                handshake: handshake, healthInterval: connection.healthInterval, events: events,
                libraryChecked: { status in box.status = status }
            )
        }
        self.counters = counters
        self.supervisor.onLinked = { [weak self] _, isReconnect in
            if isReconnect {
                counters.reconnects.wrappingIncrement(ordering: .relaxed)
            }
            self?.linked(library: box.status)
            self?.settleLinkWaiters(.success(()))
        }
        self.supervisor.onLost = { [weak self] loss in
            counters.countLoss(loss)
            self?.unlinked()
        }
        self.supervisor.onAttemptFailed = { [weak self] cause in
            counters.lastAttemptFailure.withLockedValue { $0 = cause }
            self?.settleLinkWaiters(.failure(RedisBrokerError.connectFailed(cause)))
            self?.onAttemptFailed(cause)
        }
    }

    /// Whether the publisher connection is usable right now: from its link to its loss (also while the
    /// loss is being reported, when the supervisor still holds the closing channel).
    private(set) var isConnected = false

    /// The IP address of the server the connection is linked to, if it is (a cluster's topology names
    /// nodes relative to the one asked).
    var connectedHost: String? {
        self.supervisor.linkedChannel?.remoteAddress?.ipAddress
    }

    /// Whether publishes are durable and history can be read on the current link.
    var hasLibrary: Bool {
        self.libraryStatus?.isUsable ?? false
    }

    func start() {
        self.supervisor.start()
    }

    func stop() -> EventLoopFuture<Void> {
        self.unlinked()
        self.settleLinkWaiters(.failure(RedisBrokerError.shutDown))
        return self.supervisor.stop()
    }

    /// Succeeds once the connection is linked (at once if it is); fails with
    /// ``RedisBrokerError/connectFailed(_:)`` when an attempt fails first, with
    /// ``RedisBrokerError/notConnected`` when `timeout` passes before either, or with
    /// ``RedisBrokerError/shutDown``. For a one-shot tool, which does not wait out an outage.
    func linkedOrFailed(within timeout: TimeAmount) -> EventLoopFuture<Void> {
        if self.isConnected {
            return self.eventLoop.makeSucceededVoidFuture()
        }
        return self.linkWaiters.wait(within: timeout)
    }

    private func settleLinkWaiters(_ result: Result<Void, any Error>) {
        self.linkWaiters.settle(result)
    }

    private func unlinked() {
        self.isConnected = false
        self.libraryStatus = nil
        self.counters.hasLibrary.store(false, ordering: .relaxed)
        self.counters.publisherLinked.store(false, ordering: .releasing)
        self.onStatusChange()
    }

    private func linked(library status: RedisLibraryStatus?) {
        self.isConnected = true
        self.libraryStatus = status
        self.counters.hasLibrary.store(status?.isUsable ?? false, ordering: .relaxed)
        self.counters.lastAttemptFailure.withLockedValue { $0 = nil }
        self.counters.publisherLinked.store(true, ordering: .releasing)
        defer { self.onStatusChange() }
        guard let status, status != self.loggedStatus else { return }
        self.loggedStatus = status
        let metadata: Logger.Metadata = ["wsb.library": "\(status)"]
        switch status {
        case .current, .loaded:
            self.logger.info("Redis function library ready: durable publishing on", metadata: metadata)
        case .replaced:
            self.logger.notice(
                "Redis function library replaced: if other hosts use other history settings, give them the same",
                metadata: metadata)
        case .keptNewer, .keptOther:
            self.logger.notice("Redis function library left as it is", metadata: metadata)
        case .unavailable:
            self.logger.warning(
                "Redis function library unusable: publishing is best effort (plain PUBLISH) and there is no history; Redis 7.0 or newer with FUNCTION allowed is needed",
                metadata: metadata)
        }
    }

    /// Writes `command`; the future completes with Redis' reply (an error reply is a reply).
    func send(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        guard self.isConnected, let channel = self.supervisor.linkedChannel else {
            return self.eventLoop.makeFailedFuture(RedisBrokerError.notConnected)
        }
        let promise = self.eventLoop.makePromise(of: RESPValue.self)
        channel.write(RedisRequest(command: command, promise: promise), promise: nil)
        if !self.flushScheduled {
            self.flushScheduled = true
            self.eventLoop.assumeIsolated().execute {
                self.flushScheduled = false
                channel.flush()
            }
        }
        return promise.futureResult
    }

    /// Publishes one envelope: durably through the library when the link has it, else with `PUBLISH`.
    func publish(_ message: ByteBuffer) -> EventLoopFuture<PublishReceipt> {
        guard self.hasLibrary else {
            return self.publishBestEffort(message)
        }
        let command = RedisCommand(arguments: [
            ByteBuffer(string: "FCALL"), ByteBuffer(string: RedisFunctionLibrary.publishFunction), ByteBuffer(string: "0"),
            message,
        ])
        return self.send(command).flatMapThrowing(PublishReceipt.fromFunctionReply)
    }

    /// `PUBLISH channel message`: succeeds once Redis answered with the number of receivers.
    func publishBestEffort(_ message: ByteBuffer) -> EventLoopFuture<PublishReceipt> {
        self.send(.publish(channel: self.channelName, message: message)).flatMapThrowing { reply in
            switch reply {
            case .integer:
                return PublishReceipt(positions: nil)
            case .error(let message):
                throw RedisBrokerError.publishRejected(message)
            default:
                throw RedisBrokerError.unexpectedReply(RedisHandshake.describe(reply))
            }
        }
    }

    /// Reads the positions and retained history of streams: one `FCALL wsbridge_history` for them all.
    func history(_ queries: [HistoryQuery]) -> EventLoopFuture<[HistorySlice]> {
        guard !queries.isEmpty else { return self.eventLoop.makeSucceededFuture([]) }
        guard self.hasLibrary || !self.isConnected else {
            return self.eventLoop.makeFailedFuture(RedisBrokerError.historyUnavailable)
        }
        var arguments = [
            ByteBuffer(string: "FCALL"), ByteBuffer(string: RedisFunctionLibrary.historyFunction), ByteBuffer(string: "0"),
        ]
        arguments.reserveCapacity(3 + 2 * queries.count)
        for query in queries {
            arguments.append(ByteBuffer(string: query.stream))
            arguments.append(ByteBuffer(string: query.since ?? ""))
        }
        return self.send(RedisCommand(arguments: arguments)).flatMapThrowing { reply in
            try HistorySlice.parse(reply, queries: queries)
        }
    }
}

@available(*, unavailable)
extension RedisPublisher: Sendable {}

/// Hands the library status from the handler of the current attempt to the publisher. Touched on the
/// broker's event loop only (the handler and the supervisor both run there).
private final class LibraryStatusBox {
    var status: RedisLibraryStatus?
}
