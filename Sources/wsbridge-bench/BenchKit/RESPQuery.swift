import NIOCore
import NIOPosix

/// One-off Redis commands outside the measurement: `PUBSUB NUMSUB`, so publishing starts only once
/// the server under test is subscribed.
public enum RESPQuery {
    /// The subscriber count of `channel` (`PUBSUB NUMSUB channel`).
    public static func subscribers(endpoint: SocketEndpoint, channel: String, on loop: EventLoop) async throws -> Int {
        var command = ByteBuffer()
        command.writeString("*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$\(channel.utf8.count)\r\n\(channel)\r\n")
        let reply = try await roundTrip(endpoint: endpoint, command: command, on: loop)
        // *2 $len channel :N — the count is the last line.
        guard let line = reply.split(separator: "\r\n").last, line.hasPrefix(":"), let n = Int(line.dropFirst()) else {
            throw BenchError("unexpected reply to PUBSUB NUMSUB: \(reply.prefix(200))")
        }
        return n
    }

    /// Polls until `channel` has at least `count` subscribers, for at most `timeoutSeconds`.
    public static func waitForSubscribers(
        endpoint: SocketEndpoint, channel: String, count: Int, timeoutSeconds: Double, on loop: EventLoop
    ) async throws {
        let deadline = monotonicNanoseconds() + UInt64(timeoutSeconds * 1e9)
        var seen = 0
        while monotonicNanoseconds() < deadline {
            seen = try await subscribers(endpoint: endpoint, channel: channel, on: loop)
            if seen >= count { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw BenchError("\(channel) has \(seen) subscribers after \(timeoutSeconds) s, expected \(count)")
    }

    private static func roundTrip(endpoint: SocketEndpoint, command: ByteBuffer, on loop: EventLoop) async throws -> String {
        let promise = loop.makePromise(of: String.self)
        let bootstrap = ClientBootstrap(group: loop).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ReplyCollector(promise: promise))
            }
        }
        let channel: Channel
        switch endpoint {
        case .tcp(let tcp): channel = try await bootstrap.connect(host: tcp.host.description, port: tcp.port).get()
        case .unix(let path): channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
        }
        defer { channel.close(promise: nil) }
        try await channel.writeAndFlush(command).get()
        return try await promise.futureResult.get()
    }
}

/// Collects a reply made of whole lines until it looks complete: an integer line last, or an error.
private final class ReplyCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private var text = ""
    private var promise: EventLoopPromise<String>?

    init(promise: EventLoopPromise<String>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        text += String(buffer: buffer)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard text.hasSuffix("\r\n"), let last = lines.dropLast().last else { return }
        if last.hasPrefix(":") || last.hasPrefix("-") || text.count > 65536 {
            promise?.succeed(text)
            promise = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise?.fail(BenchError("connection closed before a full reply: \(text.prefix(200))"))
        promise = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise?.fail(error)
        promise = nil
        context.close(promise: nil)
    }
}
