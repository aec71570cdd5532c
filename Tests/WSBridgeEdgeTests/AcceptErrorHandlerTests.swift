import Logging
import NIOCore
import NIOEmbedded
import XCTest
import WSBridgeCore
@testable import WSBridgeEdge

#if canImport(Glibc)
import Glibc
#endif

final class AcceptErrorHandlerTests: XCTestCase {
    private func makeListener() throws -> (EmbeddedChannel, Router) {
        let channel = EmbeddedChannel()
        let router = Router(eventLoops: [channel.embeddedEventLoop], parser: EnvelopeParser(), logger: Logger(label: "test"))
        let edge = EdgeContext(
            settings: EdgeSettings(), router: router, authenticator: InsecureQueryAuthenticator(),
            logger: Logger(label: "test"), unhealthyReason: { nil }
        )
        try channel.pipeline.syncOperations.addHandler(AcceptErrorHandler(edge: edge))
        return (channel, router)
    }

    func testRunningOutOfDescriptorsIsCountedAsALimitHit() throws {
        let (channel, router) = try self.makeListener()
        for errno in [EMFILE, ENFILE] {
            channel.pipeline.fireErrorCaught(IOError(errnoCode: errno, reason: "accept"))
            XCTAssertThrowsError(try channel.throwIfErrorCaught(), "the error goes on down the pipeline")
        }
        XCTAssertEqual(router.shard(for: channel.embeddedEventLoop).counters.limitHits[.descriptorsExhausted], 2)
        XCTAssertNoThrow(try channel.finish())
    }

    func testOtherAcceptErrorsAreNotALimit() throws {
        let (channel, router) = try self.makeListener()
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNABORTED, reason: "accept"))
        XCTAssertThrowsError(try channel.throwIfErrorCaught())
        XCTAssertNil(router.shard(for: channel.embeddedEventLoop).counters.limitHits[.descriptorsExhausted])
        XCTAssertNoThrow(try channel.finish())
    }
}
