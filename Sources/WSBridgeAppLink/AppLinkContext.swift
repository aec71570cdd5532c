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
    private let publisher: @Sendable (ByteBuffer) -> EventLoopFuture<String?>
    private let statusProvider: @Sendable () -> EventLoopFuture<ByteBuffer>

    /// - Parameters:
    ///   - publish: hands a native envelope to the broker (every host); succeeds with the positions it
    ///     got when published durably.
    ///   - status: renders the daemon's status as one JSON object.
    public init(
        settings: AppLinkSettings,
        router: Router,
        version: String,
        logger: Logger,
        publish: @escaping @Sendable (ByteBuffer) -> EventLoopFuture<String?>,
        status: @escaping @Sendable () -> EventLoopFuture<ByteBuffer>
    ) {
        self.liveSettings = NIOLockedValueBox(settings)
        self.router = router
        self.version = version
        self.logger = logger
        self.publisher = publish
        self.statusProvider = status
    }

    public var settings: AppLinkSettings {
        get { self.liveSettings.withLockedValue { $0 } }
        set { self.liveSettings.withLockedValue { $0 = newValue } }
    }

    func publish(_ envelope: ByteBuffer) -> EventLoopFuture<String?> { self.publisher(envelope) }
    func status() -> EventLoopFuture<ByteBuffer> { self.statusProvider() }

    /// Tells every attached app the daemon is draining (`shutdown`); they stay attached meanwhile.
    public func announceShutdown(drainMilliseconds: Int) {
        for app in self.directory.apps {
            app.emit(.shutdown(drainMilliseconds: drainMilliseconds))
        }
    }

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
