import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import WSBridgeCore

/// What every connection of the edge shares: settings, router, auth, sinks and counters. Thread safe.
///
/// Settings and the authenticator can be replaced while running (config reload); a connection reads
/// them when it needs them.
public final class EdgeContext: Sendable {
    public let router: Router
    public let logger: Logger
    public let connectionIDs = ConnectionIDGenerator()
    public let counters = EdgeCounters()
    /// Connections per user, for `max_connections_per_user`.
    let userConnections = UserConnectionCounts()
    /// Bounds the log lines of refused handshakes (a client retrying with a bad token).
    let refusalLog = RateLimitedLog()
    /// Bounds the log lines of slow consumers (a broadcast that outruns many clients at once).
    let slowConsumerLog = RateLimitedLog()
    private let live: NIOLockedValueBox<Live>
    private let healthCheck: @Sendable () -> String?

    struct Live {
        var settings: SharedEdgeSettings
        var authenticator: any HandshakeAuthenticator
        var sink: any ClientEventSink
        var tls: NIOSSLContext?
    }

    public init(
        settings: EdgeSettings,
        router: Router,
        authenticator: any HandshakeAuthenticator,
        sink: any ClientEventSink = DiscardingClientEventSink(),
        tls: NIOSSLContext? = nil,
        logger: Logger,
        unhealthyReason: @escaping @Sendable () -> String?
    ) {
        self.router = router
        self.logger = logger
        self.live = NIOLockedValueBox(
            Live(settings: SharedEdgeSettings(settings), authenticator: authenticator, sink: sink, tls: tls))
        self.healthCheck = unhealthyReason
    }

    public var settings: EdgeSettings {
        get { self.sharedSettings.value }
        set { self.live.withLockedValue { $0.settings = SharedEdgeSettings(newValue) } }
    }

    /// The current settings as one shared object, for connections to keep.
    var sharedSettings: SharedEdgeSettings {
        self.live.withLockedValue { $0.settings }
    }

    public var authenticator: any HandshakeAuthenticator {
        get { self.live.withLockedValue { $0.authenticator } }
        set { self.live.withLockedValue { $0.authenticator = newValue } }
    }

    public var sink: any ClientEventSink {
        get { self.live.withLockedValue { $0.sink } }
        set { self.live.withLockedValue { $0.sink = newValue } }
    }

    /// The TLS context new connections are served with (`tls_cert`, `tls_key`), nil for plain
    /// `ws://`. Replaced on reload; connections already open keep the one they started with.
    public var tls: NIOSSLContext? {
        get { self.live.withLockedValue { $0.tls } }
        set { self.live.withLockedValue { $0.tls = newValue } }
    }

    /// Why `/healthz` does not answer 200 (the broker link is down, its probe was missed), or nil.
    public var unhealthyReason: String? { self.healthCheck() }
}
