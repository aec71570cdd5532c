import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WSBridgeFrameHeader

/// A small WebSocket client on SwiftNIO for tests: it writes the handshake and frames byte by byte as
/// RFC 6455 says (masked), and parses what the server sends without NIO's WebSocket codec, so it checks
/// the server's wire format rather than trusting it. The length field is read and written with
/// `WebSocketFrameHeader`, the server's own, whose tests pin its bytes at every boundary (and the
/// Python and Autobahn suites check the wire with clients of their own).
public final class WebSocketTestClient: Sendable {
    public enum Message: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
        case close(code: UInt16?, reason: String)
        case ping([UInt8])
    }

    public struct HandshakeRefused: Error, CustomStringConvertible {
        public var status: Int
        public var response: String
        public var description: String { "handshake refused with HTTP \(self.status): \(self.response)" }
    }

    public struct TimedOut: Error {}

    private let channel: Channel
    private let state: NIOLockedValueBox<ClientState>

    private init(channel: Channel, state: NIOLockedValueBox<ClientState>) {
        self.channel = channel
        self.state = state
    }

    /// Connects and completes the handshake; throws ``HandshakeRefused`` for any status but 101.
    public static func connect(
        host: String = "127.0.0.1", port: Int, path: String, headers: [(String, String)] = [],
        group: EventLoopGroup, timeout: TimeAmount = .seconds(5)
    ) async throws -> WebSocketTestClient {
        let state = NIOLockedValueBox(ClientState())
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ClientHandler(state: state))
                }
            }
            .connect(host: host, port: port).get()
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        let client = WebSocketTestClient(channel: channel, state: state)
        let status = try await client.poll(timeout: timeout) { $0.handshakeStatus }
        if status != 101 {
            let response = state.withLockedValue { $0.handshakeResponse }
            try? await channel.close().get()
            throw HandshakeRefused(status: status, response: response)
        }
        return client
    }

    public func send(text: String) async throws {
        try await self.send(opcode: 0x1, payload: Array(text.utf8))
    }

    public func send(opcode: UInt8, payload: [UInt8], fin: Bool = true) async throws {
        var frame = ByteBuffer()
        WebSocketFrameHeader.write(first: (fin ? 0x80 : 0) | opcode, payloadLength: payload.count, masked: true, into: &frame)
        let mask: [UInt8] = [0xA1, 0xB2, 0xC3, 0xD4]
        frame.writeBytes(mask)
        frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        try await self.channel.writeAndFlush(frame).get()
    }

    /// The next message (pings included), waiting up to `timeout`.
    public func next(timeout: TimeAmount = .seconds(5)) async throws -> Message {
        try await self.poll(timeout: timeout) { state in
            state.messages.isEmpty ? nil : state.messages.removeFirst()
        }
    }

    /// The next text message, skipping pings.
    public func nextText(timeout: TimeAmount = .seconds(5)) async throws -> String {
        while true {
            switch try await self.next(timeout: timeout) {
            case .text(let text): return text
            case .ping: continue
            case let other: throw UnexpectedMessage(message: other)
            }
        }
    }

    public struct UnexpectedMessage: Error { public var message: Message }

    /// Messages received and not yet taken.
    public var pending: [Message] { self.state.withLockedValue { $0.messages } }

    /// Stops reading from the socket: the server's writes pile up in the kernel and then in its queue.
    public func stopReading() async throws {
        try await self.channel.setOption(.autoRead, value: false).get()
    }

    /// Whether the server closed the TCP connection.
    public var isClosed: Bool { !self.channel.isActive }

    public func waitUntilClosed(timeout: TimeAmount = .seconds(10)) async throws {
        _ = try await self.poll(timeout: timeout) { _ in self.channel.isActive ? nil : true }
    }

    public func close() async {
        try? await self.channel.close().get()
    }

    private func poll<T: Sendable>(timeout: TimeAmount, _ take: @escaping @Sendable (inout ClientState) -> T?) async throws -> T {
        let deadline = NIODeadline.now() + timeout
        while NIODeadline.now() < deadline {
            if let value = self.state.withLockedValue(take) {
                return value
            }
            try await Task.sleep(nanoseconds: 2_000_000)
        }
        throw TimedOut()
    }
}

struct ClientState {
    var handshakeStatus: Int?
    var handshakeResponse = ""
    var messages: [WebSocketTestClient.Message] = []
}

/// Parses the HTTP response, then server frames (unmasked, possibly fragmented).
private final class ClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let state: NIOLockedValueBox<ClientState>
    private var buffer = ByteBuffer()
    private var upgraded = false
    private var fragments: [UInt8] = []
    private var fragmentOpcode: UInt8 = 0

    init(state: NIOLockedValueBox<ClientState>) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = self.unwrapInboundIn(data)
        self.buffer.writeBuffer(&incoming)
        if !self.upgraded {
            guard let end = self.buffer.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
            let length = end.upperBound - self.buffer.readerIndex
            let head = self.buffer.readString(length: length) ?? ""
            let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            if status != 101 {
                // Keep the body too, for the error message.
                let body = self.buffer.readString(length: self.buffer.readableBytes) ?? ""
                self.state.withLockedValue { $0.handshakeStatus = status; $0.handshakeResponse = head + body }
                return
            }
            self.upgraded = true
            self.state.withLockedValue { $0.handshakeStatus = status; $0.handshakeResponse = head }
        }
        while let message = self.parseFrame() {
            self.state.withLockedValue { $0.messages.append(message) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.state.withLockedValue { state in
            if state.handshakeStatus == nil {
                state.handshakeStatus = 0
                state.handshakeResponse = "connection closed during handshake"
            }
        }
    }

    private func parseFrame() -> WebSocketTestClient.Message? {
        while true {
            guard let header = WebSocketFrameHeader.read(self.buffer, at: self.buffer.readerIndex),
                let payload = self.buffer.getBytes(at: self.buffer.readerIndex + header.size, length: Int(header.payloadLength))
            else {
                return nil
            }
            self.buffer.moveReaderIndex(forwardBy: header.size + payload.count)
            self.buffer.discardReadBytes()
            let fin = header.fin
            let opcode = header.opcode
            switch opcode {
            case 0x8:
                let code = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
                return .close(code: code, reason: String(decoding: payload.dropFirst(2), as: UTF8.self))
            case 0x9:
                return .ping(payload)
            case 0xA:
                continue
            case 0x0:
                self.fragments += payload
            default:
                self.fragmentOpcode = opcode
                self.fragments = payload
            }
            guard fin else { continue }
            defer { self.fragments = [] }
            return self.fragmentOpcode == 0x2 ? .binary(self.fragments) : .text(String(decoding: self.fragments, as: UTF8.self))
        }
    }
}
