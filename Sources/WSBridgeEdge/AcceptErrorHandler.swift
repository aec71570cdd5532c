import Logging
import NIOCore
import WSBridgeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The last handler before NIO's accept handler on the listening socket: counts the accept failures
/// that mean the process or the system is out of file descriptors (or socket buffers) as the
/// `descriptors_exhausted` limit, and logs them at a bounded rate.
///
/// An `AcceptBackoffHandler` before it pauses accepting for a second after each such failure, so a
/// full descriptor table costs one failed `accept` per second instead of a busy loop; connections
/// wait in the kernel's backlog meanwhile.
final class AcceptErrorHandler: ChannelInboundHandler {
    typealias InboundIn = Channel

    /// The `accept(2)` errors that say "no resources", not "this one connection failed".
    static let exhaustionErrors: Set<CInt> = [EMFILE, ENFILE, ENOBUFS, ENOMEM]

    private let edge: EdgeContext
    private let log: RateLimitedLog

    init(edge: EdgeContext, log: RateLimitedLog = RateLimitedLog()) {
        self.edge = edge
        self.log = log
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? IOError, Self.exhaustionErrors.contains(error.errnoCode) {
            self.edge.router.shard(for: context.eventLoop).countLimitHit(.descriptorsExhausted)
            self.log.log(
                "cannot accept connections: out of file descriptors or socket memory",
                level: .error,
                metadata: ["wsb.errno": .stringConvertible(error.errnoCode), "wsb.error": "\(error)"],
                to: self.edge.logger
            )
        }
        context.fireErrorCaught(error)
    }
}

@available(*, unavailable)
extension AcceptErrorHandler: Sendable {}
