import Logging
import NIOCore
import NIOPosix
@testable import WSBridgeBroker
import XCTest

/// The supervisor against a real loopback server that accepts and, when told, hangs up.
final class RedisConnectionSupervisorTests: XCTestCase {
    /// Reports active/inactive of the supervisor's connection as linked/closed (no handshake).
    private final class LinkOnActive: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let events: RedisConnectionSupervisor.Events
        init(events: RedisConnectionSupervisor.Events) { self.events = events }
        func channelActive(context: ChannelHandlerContext) {
            self.events.linked(context.channel)
            context.fireChannelActive()
        }
        func channelInactive(context: ChannelHandlerContext) {
            self.events.closed(.closedByServer)
            context.fireChannelInactive()
        }
    }

    /// Collects the server side of each accepted connection.
    private final class Accepted: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let accepted: @Sendable (Channel) -> Void
        init(_ accepted: @escaping @Sendable (Channel) -> Void) { self.accepted = accepted }
        func channelActive(context: ChannelHandlerContext) {
            self.accepted(context.channel)
            context.fireChannelActive()
        }
    }

    func testAStopFromTheLossCallbackIsNotUndoneByTheReconnect() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { XCTAssertNoThrow(try group.syncShutdownGracefully()) }
        let eventLoop = group.next()
        let serverSide = eventLoop.makePromise(of: Channel.self)
        let server = try ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.pipeline.addHandler(Accepted { serverSide.succeed($0) })
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { XCTAssertNoThrow(try server.close().wait()) }

        let lost = eventLoop.makePromise(of: Void.self)
        let supervisor = try eventLoop.submit {
            let settings = RedisConnectionSettings(
                target: RedisConnectionTarget(address: .tcp(host: "127.0.0.1", port: server.localAddress!.port!)),
                eventLoop: eventLoop, connectTimeout: .seconds(5), healthInterval: nil,
                backoff: ReconnectBackoff(cap: .seconds(1)), summaryInterval: .seconds(60),
                logger: Logger(label: "test"))
            let supervisor = RedisConnectionSupervisor(role: .subscriber, settings: settings) { events in
                LinkOnActive(events: events)
            }
            // Like a cluster's sharded link: the owner gives the connection up when it is lost.
            supervisor.onLost = { _ in
                _ = supervisor.stop()
                lost.succeed()
            }
            supervisor.start()
            return NIOLoopBound(supervisor, eventLoop: eventLoop)
        }.wait()

        try serverSide.futureResult.flatMap { $0.close() }.wait()
        try lost.futureResult.wait()
        let stopped = try eventLoop.submit { supervisor.value.isStopped }.wait()
        XCTAssertTrue(stopped, "the retry scheduled after the loss callback restarted a stopped supervisor")
    }
}
