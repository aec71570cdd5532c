import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import WSBridgeCore

/// The public listener: HTTP/1.1 with WebSocket upgrade, one child channel per client on the event loops
/// of the router's shards.
public final class WebSocketServer: Sendable {
    private let edge: EdgeContext
    private let group: EventLoopGroup
    private let serverChannel: NIOLockedValueBox<Channel?> = NIOLockedValueBox(nil)

    public init(edge: EdgeContext, group: EventLoopGroup) {
        self.edge = edge
        self.group = group
    }

    /// Binds `host:port` (port 0 picks a free one) and returns the address actually bound.
    public func bind(host: String, port: Int) -> EventLoopFuture<SocketAddress?> {
        self.bootstrap().bind(host: host, port: port).map { channel in
            self.serverChannel.withLockedValue { $0 = channel }
            return channel.localAddress
        }
    }

    /// Adopts an already-bound, listening socket (systemd socket activation).
    public func adopt(descriptor: CInt) -> EventLoopFuture<SocketAddress?> {
        self.bootstrap().withBoundSocket(descriptor).map { channel in
            self.serverChannel.withLockedValue { $0 = channel }
            return channel.localAddress
        }
    }

    /// Stops accepting; open connections are left alone.
    public func stopAccepting() -> EventLoopFuture<Void> {
        guard let channel = self.serverChannel.withLockedValue({ $0 }) else {
            return self.group.any().makeSucceededVoidFuture()
        }
        return channel.close().recover { _ in }
    }

    private func bootstrap() -> ServerBootstrap {
        let edge = self.edge
        return ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Accepted sockets inherit the listener's TCP_NODELAY (Linux). NIO sets it on a server
            // channel by default; said here so that it stays set, and not set again per connection,
            // where it cost a setsockopt and the getsockname NIO checks the address family with.
            .serverChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(AcceptBackoffHandler(shouldForwardIOErrorCaught: true))
                    try sync.addHandler(AcceptErrorHandler(edge: edge))
                }
            }
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.initialize(channel, edge: edge)
                }
            }
    }

    /// A channel keeps its last receive buffer for the next read, so an idle connection holds one buffer
    /// of the size reads had when it went quiet. NIO starts at 2 KiB; clients of a fan-out server send
    /// little, so start at 512 bytes (a handshake fits; a longer one grows the buffer) and let a client
    /// that sends more grow it up to 64 KiB. NIO's adaptive allocator, compacted (``CompactRecvAllocator``).
    static let receiveBuffers = CompactRecvAllocator(minimum: 64, initial: 512, maximum: 64 * 1024)

    static func initialize(_ channel: Channel, edge: EdgeContext) throws {
        let shared = edge.sharedSettings
        let settings = shared.value
        let open = edge.counters.openConnections.wrappingIncrementThenLoad(ordering: .relaxed)
        channel.closeFuture.whenComplete { _ in
            edge.counters.openConnections.wrappingDecrement(ordering: .relaxed)
        }
        let refuse = open > settings.maxConnections
        if refuse {
            edge.router.shard(for: channel.eventLoop).countLimitHit(.maxConnections)
        }
        // Set here rather than as the bootstrap's child options, which NIO applies one future at a time.
        if let options = channel.syncOptions {
            try options.setOption(.recvAllocator, value: Self.receiveBuffers)
            try options.setOption(.writeBufferWaterMark, value: .init(low: settings.maxQueueBytes / 2, high: settings.maxQueueBytes))
        }
        let sync = channel.pipeline.syncOperations
        if let tls = edge.tls {
            // Everything above it sees plaintext; a client that does not speak TLS fails the
            // handshake and is closed, never upgraded.
            try sync.addHandler(NIOSSLServerHandler(context: tls))
        }
        try sync.addHandler(HTTPGatewayHandler(edge: edge, settings: shared, refuse: refuse))
    }
}
