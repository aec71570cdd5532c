import Atomics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import WSBridgeCore
import WSBridgeProtocol

/// What every attached app shares: settings, the directory, the router (for app sessions), the way out
/// to the broker, and counters. Thread safe.
public final class AppLinkContext: Sendable {
    public let router: Router
    public let logger: Logger
    public let counters = AppLinkCounters()
    /// Bound the log lines of what an app (or a stranger on the socket) can repeat at will.
    let errorLog = RateLimitedLog()
    let slowConsumerLog = RateLimitedLog()
    let refusedPeerLog = RateLimitedLog()
    let directory = AppDirectory()
    let version: String
    private let liveSettings: NIOLockedValueBox<AppLinkSettings>
    private let publisher: @Sendable (AppPublication) -> EventLoopFuture<AppPublication.Outcome>
    private let statusProvider: @Sendable () -> EventLoopFuture<ByteBuffer>
    private let presenceProvider: @Sendable ([String]) -> EventLoopFuture<[AppPresence]>
    private let presenceListenerAttached: @Sendable () -> Void
    /// The `drain_ms` of the `shutdown` announced, once the daemon drains.
    private let drain = NIOLockedValueBox<Int?>(nil)

    /// - Parameters:
    ///   - publish: hands a native envelope to the broker (every host); succeeds with the positions it
    ///     got when published durably, and with what it reached when a receipt was asked for.
    ///   - status: renders the daemon's status as one JSON object.
    ///   - presence: who holds each user, across every host.
    ///   - presenceListenerAttached: an app that wants `online`/`offline` events attached.
    public init(
        settings: AppLinkSettings,
        router: Router,
        version: String,
        logger: Logger,
        publish: @escaping @Sendable (AppPublication) -> EventLoopFuture<AppPublication.Outcome>,
        status: @escaping @Sendable () -> EventLoopFuture<ByteBuffer>,
        presence: (@Sendable ([String]) -> EventLoopFuture<[AppPresence]>)? = nil,
        presenceListenerAttached: @escaping @Sendable () -> Void = {}
    ) {
        self.presenceListenerAttached = presenceListenerAttached
        self.liveSettings = NIOLockedValueBox(settings)
        self.router = router
        self.version = version
        self.logger = logger
        self.publisher = publish
        self.statusProvider = status
        self.presenceProvider =
            presence ?? { [router] _ in router.eventLoops[0].makeFailedFuture(AppPresenceUnavailable()) }
    }

    public var settings: AppLinkSettings {
        get { self.liveSettings.withLockedValue { $0 } }
        set { self.liveSettings.withLockedValue { $0 = newValue } }
    }

    func publish(_ publication: AppPublication) -> EventLoopFuture<AppPublication.Outcome> { self.publisher(publication) }
    func status() -> EventLoopFuture<ByteBuffer> { self.statusProvider() }
    func presence(_ users: [String]) -> EventLoopFuture<[AppPresence]> { self.presenceProvider(users) }

    /// Whether an attached app asked for `online`/`offline` events.
    public var hasPresenceListeners: Bool { self.directory.apps.contains { $0.presenceEvents } }

    func presenceListenerDidAttach() { self.presenceListenerAttached() }

    /// Tells every app that asked for presence events (`"presence_events": true` in `hello`).
    public func announcePresence(_ event: AppPresenceEvent) {
        for app in self.directory.apps where app.presenceEvents {
            app.emit(.presenceChanged(event))
        }
    }

    /// Tells every attached app the daemon is draining (`shutdown`); they stay attached meanwhile. An
    /// app that attaches later is told right after its `welcome`.
    public func announceShutdown(drainMilliseconds: Int) {
        // First: an app attaching meanwhile either reads it or is among the apps below (or both: each
        // connection tells its app once).
        self.drain.withLockedValue { $0 = drainMilliseconds }
        for app in self.directory.apps {
            app.announceShutdown(drainMilliseconds: drainMilliseconds)
        }
    }

    /// The `drain_ms` of the `shutdown` announced, nil before the drain.
    var shutdownAnnouncement: Int? { self.drain.withLockedValue { $0 } }

    /// Tells every attached app of a gap the node found in a stream (after its subscription was lost).
    public func announceGap(_ gap: StreamGap) {
        for app in self.directory.apps {
            app.emit(.gap(AppGap(gap)))
        }
    }

    /// The attached apps with the number of connections pinned to each, for status.
    public var attachedApps: [(app: AppHandle, connections: Int)] {
        self.directory.apps.filter { !$0.isTool }.map { ($0, self.directory.pinnedCount($0.id)) }
    }
}

/// One `publish` of an app, as the daemon hands it to the broker.
public struct AppPublication: Sendable {
    /// The native envelope (`{"user":…,"data":…}`).
    public var envelope: ByteBuffer
    public var target: DeliveryTarget
    /// Whether the app asked for a receipt.
    public var receipt: Bool

    /// What came of it.
    public struct Outcome: Sendable {
        /// Where it landed when published durably.
        public var positions: String?
        /// What it reached, when a receipt was asked for.
        public var receipt: AppReceipt?

        public init(positions: String?, receipt: AppReceipt? = nil) {
            self.positions = positions
            self.receipt = receipt
        }
    }

    public init(envelope: ByteBuffer, target: DeliveryTarget, receipt: Bool) {
        self.envelope = envelope
        self.target = target
        self.receipt = receipt
    }
}

/// The daemon was built without a presence source (tests).
struct AppPresenceUnavailable: Error, CustomStringConvertible {
    var description: String { "presence is not available" }
}

/// App-link counters. Thread safe.
public final class AppLinkCounters: Sendable {
    public let appsAttached = ManagedAtomic<Int>(0)
    public let attaches = ManagedAtomic<Int>(0)
    public let framesIn = ManagedAtomic<Int>(0)
    public let framesOut = ManagedAtomic<Int>(0)
    public let slowConsumerDisconnects = ManagedAtomic<Int>(0)
    public let refusedPeers = ManagedAtomic<Int>(0)
    /// Client messages that arrived on a connection no app serves (dropped).
    public let unroutedClientMessages = ManagedAtomic<Int>(0)
    private let errors = NIOLockedValueBox<[String: Int]>([:])

    public init() {}

    func countError(_ code: AppProtocolError.Code) {
        self.errors.withLockedValue { $0[code.rawValue, default: 0] += 1 }
    }

    /// Errors sent to apps, by code.
    public var errorsByCode: [String: Int] { self.errors.withLockedValue { $0 } }
}
