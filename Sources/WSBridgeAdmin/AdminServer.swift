import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin listener: a small HTTP/1.1 server for `/metrics`, `/healthz` and `/readyz`, on its own
/// address (`admin_listen`) so that metrics and probes never share the public WebSocket port.
///
/// Pipeline per connection: NIO's HTTP/1.1 server pipeline (decoder, encoder, pipelining assistance,
/// protocol-error handling: a malformed request gets 400), an idle timeout, and ``AdminHTTPHandler``.
public final class AdminServer: Sendable {
    /// A keep-alive connection silent this long is closed (Prometheus scrapes every 15–60 s).
    public static let idleTimeout = TimeAmount.seconds(120)

    private let endpoints: AdminEndpoints
    private let group: EventLoopGroup
    private let channel = NIOLockedValueBox<Channel?>(nil)

    public init(endpoints: AdminEndpoints, group: EventLoopGroup) {
        self.endpoints = endpoints
        self.group = group
    }

    /// Binds `host:port` (port 0 picks a free port) and returns the address actually bound.
    public func bind(host: String, port: Int) async throws -> SocketAddress? {
        let channel = try await self.bootstrap().bind(host: host, port: port).get()
        self.channel.withLockedValue { $0 = channel }
        return channel.localAddress
    }

    /// Stops listening and closes the listening socket; connections in flight finish their response.
    public func stop() async {
        let channel = self.channel.withLockedValue { channel -> Channel? in
            defer { channel = nil }
            return channel
        }
        try? await channel?.close().get()
    }

    private func bootstrap() -> ServerBootstrap {
        let endpoints = self.endpoints
        return ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.initialize(channel, endpoints: endpoints)
                }
            }
    }

    /// Sets up one admin connection's pipeline; also used by the tests on an `EmbeddedChannel`.
    static func initialize(_ channel: Channel, endpoints: AdminEndpoints) throws {
        let sync = channel.pipeline.syncOperations
        try sync.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
        try sync.addHandler(IdleStateHandler(readTimeout: Self.idleTimeout))
        try sync.addHandler(AdminHTTPHandler(endpoints: endpoints))
    }
}
