import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One HTTP/1.1 request over a fresh connection (`Connection: close`), read until the server closes:
/// enough to check the daemon's HTTP endpoints from a test without any HTTP library.
public enum HTTPTestClient {
    public struct Response: Sendable {
        public var status: Int
        /// Header lines as sent, `Name: value`.
        public var headers: [String]
        public var body: String
    }

    public struct Malformed: Error, CustomStringConvertible {
        public var text: String
        public var description: String { "not an HTTP response: \(self.text.prefix(200))" }
    }

    public static func get(host: String = "127.0.0.1", port: Int, path: String, group: EventLoopGroup) async throws -> Response {
        let received = NIOLockedValueBox(ByteBuffer())
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received))
                }
            }
            .connect(host: host, port: port).get()
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        try await channel.closeFuture.get()
        let text = received.withLockedValue { String(buffer: $0) }
        guard let split = text.range(of: "\r\n\r\n") else { throw Malformed(text: text) }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let words = lines.first?.split(separator: " ") ?? []
        guard words.count >= 2, let status = Int(words[1]) else { throw Malformed(text: text) }
        return Response(status: status, headers: Array(lines.dropFirst()), body: String(text[split.upperBound...]))
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<ByteBuffer>

        init(received: NIOLockedValueBox<ByteBuffer>) {
            self.received = received
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var part = self.unwrapInboundIn(data)
            _ = self.received.withLockedValue { $0.writeBuffer(&part) }
        }
    }
}
