import Logging
import NIOCore

extension RedisBroker {
    /// Publishes `message` once the command connection is linked, waiting at most `timeout`: for a
    /// one-shot tool, which does not wait out an outage. Fails at once with
    /// ``RedisBrokerError/connectFailed(_:)`` (the cause in words) when an attempt to connect fails
    /// first, and with ``RedisBrokerError/notConnected`` when `timeout` passes before either. A daemon
    /// publishes with ``publish(_:)``, which never waits.
    public func publishWhenLinked(_ message: ByteBuffer, timeout: TimeAmount) -> EventLoopFuture<PublishReceipt> {
        self.onLoop { $0.publishWhenLinked(message, timeout: timeout) }
    }

    /// Publishes one message straight to Redis, as `wsbridge publish --redis` does, and disconnects.
    ///
    /// A broker that only sends (no subscription) connects, loading the function library only where
    /// Redis has none (``RedisLibraryPolicy/loadIfAbsent``: a running daemon's settings are never
    /// replaced), and publishes as ``publishWhenLinked(_:timeout:)`` does: durably where the library is
    /// usable (the receipt has the positions), else with `PUBLISH`.
    ///
    /// - Parameters:
    ///   - library: the library to load where Redis has none; nil always publishes with `PUBLISH`.
    ///   - timeout: the longest wait for the connection (an attempt that fails ends it sooner).
    ///   - eventLoopGroup: one of its loops carries the connection; the caller shuts the group down.
    public static func publishOnce(
        _ message: ByteBuffer, target: RedisConnectionTarget, channel: String, library: RedisFunctionLibrary?,
        timeout: TimeAmount, eventLoopGroup: EventLoopGroup, logger: Logger
    ) async throws -> PublishReceipt {
        let broker = RedisBroker(
            target: target, channel: channel, library: library, libraryPolicy: .loadIfAbsent,
            eventLoopGroup: eventLoopGroup, reconnectMax: .milliseconds(200), subscribes: false, logger: logger)
        broker.start(handler: BrokerHandler(received: { _ in }))
        let receipt: PublishReceipt
        do {
            receipt = try await broker.publishWhenLinked(message, timeout: timeout).get()
        } catch {
            try? await broker.shutdown().get()
            throw error
        }
        try? await broker.shutdown().get()
        return receipt
    }
}

extension RedisClusterBroker {
    /// Publishes one message straight to a Redis Cluster, as `wsbridge publish --redis-cluster` does, and
    /// disconnects: as ``RedisBroker/publishOnce(_:target:channel:library:timeout:eventLoopGroup:logger:)``,
    /// once every master is linked.
    public static func publishOnce(
        _ message: ByteBuffer, seeds: [RedisConnectionTarget], channel: String, library: RedisFunctionLibrary?,
        timeout: TimeAmount, eventLoopGroup: EventLoopGroup, logger: Logger
    ) async throws -> PublishReceipt {
        let broker = RedisClusterBroker(
            seeds: seeds, channel: channel, library: library, libraryPolicy: .loadIfAbsent, eventLoopGroup: eventLoopGroup,
            reconnectMax: .milliseconds(200), subscribes: false, logger: logger)
        broker.start(handler: BrokerHandler(received: { _ in }))
        let receipt: PublishReceipt
        do {
            try await broker.linkedOrFailed(within: timeout).get()
            receipt = try await broker.publish(message).get()
        } catch {
            try? await broker.shutdown().get()
            throw error
        }
        try? await broker.shutdown().get()
        return receipt
    }
}
