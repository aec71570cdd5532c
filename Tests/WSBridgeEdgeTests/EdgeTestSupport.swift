import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOWebSocket
import XCTest
import WSBridgeCore
import WSBridgeFrameHeader
import WSBridgeTestSupport
@testable import WSBridgeEdge

/// An EmbeddedChannel wired exactly as the server wires a child channel, plus helpers to speak raw
/// HTTP and masked WebSocket frames into it.
final class EdgeHarness {
    let channel: EmbeddedChannel
    let edge: EdgeContext
    let router: Router
    let events: RecordingSink

    init(
        settings: EdgeSettings = EdgeSettings(),
        authenticator: any HandshakeAuthenticator = InsecureQueryAuthenticator(),
        healthy: Bool = true
    ) throws {
        self.channel = EmbeddedChannel()
        self.router = Router(eventLoops: [self.channel.embeddedEventLoop], parser: EnvelopeParser(), logger: Logger(label: "test"))
        self.events = RecordingSink()
        self.edge = EdgeContext(
            settings: settings, router: self.router, authenticator: authenticator, sink: self.events,
            logger: Logger(label: "test"), unhealthyReason: { healthy ? nil : "broker link down" }
        )
        try WebSocketServer.initialize(self.channel, edge: self.edge)
        try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
    }

    /// The counters of the one shard (the channel's event loop).
    var shardCounters: ShardCounters {
        self.router.shard(for: self.channel.embeddedEventLoop).counters
    }

    func send(_ text: String) throws {
        try self.channel.writeInbound(ByteBuffer(string: text))
    }

    /// Everything the server wrote so far, concatenated.
    func readOutbound() throws -> ByteBuffer {
        var all = ByteBuffer()
        while var part = try self.channel.readOutbound(as: ByteBuffer.self) {
            all.writeBuffer(&part)
        }
        return all
    }

    func readOutboundString() throws -> String {
        String(buffer: try self.readOutbound())
    }

    static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    /// A request for the server-sent-events fallback, as a browser's EventSource sends it.
    func eventStreamRequest(
        path: String = "/sse?user=alice", method: String = "GET", accept: String? = "text/event-stream", extraHeaders: String = ""
    ) throws -> String {
        let acceptLine = accept.map { "Accept: \($0)\r\n" } ?? ""
        try self.send("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n\(acceptLine)Cache-Control: no-cache\r\n\(extraHeaders)\r\n")
        return try self.readOutboundString()
    }

    func handshake(path: String = "/ws?user=alice", extraHeaders: String = "") throws -> String {
        try self.send(
            "GET \(path) HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: \(Self.key)\r\nSec-WebSocket-Version: 13\r\n\(extraHeaders)\r\n"
        )
        return try self.readOutboundString()
    }

    /// A client frame: masked as RFC 6455 requires (unless `masked` is false).
    static func clientFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true, masked: Bool = true, rsv1: Bool = false) -> ByteBuffer {
        var buffer = ByteBuffer()
        WebSocketFrameHeader.write(
            first: (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode, payloadLength: payload.count, masked: masked, into: &buffer)
        if masked {
            let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
            buffer.writeBytes(mask)
            buffer.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        } else {
            buffer.writeBytes(payload)
        }
        return buffer
    }

    func sendFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true, masked: Bool = true, rsv1: Bool = false) throws {
        try self.channel.writeInbound(Self.clientFrame(opcode: opcode, payload: payload, fin: fin, masked: masked, rsv1: rsv1))
    }

    /// A server frame as written: its opcode, whether RSV1 (permessage-deflate's "compressed") is set,
    /// its payload.
    struct WrittenFrame {
        var opcode: UInt8
        var compressed: Bool
        var payload: ByteBuffer
    }

    /// Decodes the server frames written so far (server frames are never masked).
    func readFrames() throws -> [(opcode: UInt8, payload: ByteBuffer)] {
        try self.readWrittenFrames().map { ($0.opcode, $0.payload) }
    }

    /// The server frames written so far, with their RSV1 bit.
    func readWrittenFrames() throws -> [WrittenFrame] {
        var buffer = try self.readOutbound()
        var frames: [WrittenFrame] = []
        while buffer.readableBytes > 0 {
            guard let header = WebSocketFrameHeader.read(buffer, at: buffer.readerIndex),
                let payload = buffer.getSlice(at: buffer.readerIndex + header.size, length: Int(header.payloadLength))
            else {
                XCTFail("truncated server frame")
                break
            }
            buffer.moveReaderIndex(forwardBy: header.size + payload.readableBytes)
            XCTAssertTrue(header.fin, "server frames are final")
            XCTAssertFalse(header.masked, "server frames are unmasked")
            XCTAssertEqual(header.first & 0x30, 0, "RSV2 and RSV3 are never set")
            frames.append(WrittenFrame(opcode: header.opcode, compressed: header.rsv1, payload: payload))
        }
        return frames
    }

    /// The close code of the single close frame among the frames written so far.
    func readCloseCode() throws -> UInt16? {
        for frame in try self.readFrames() where frame.opcode == 0x8 {
            var payload = frame.payload
            return payload.readInteger(as: UInt16.self)
        }
        return nil
    }
}

extension XCTestCase {
    /// An ``EdgeHarness`` whose channel must finish clean when the test ends: every byte the server wrote
    /// read by the test (`finishesClean`).
    func edgeHarness(
        settings: EdgeSettings = EdgeSettings(), authenticator: any HandshakeAuthenticator = InsecureQueryAuthenticator(),
        healthy: Bool = true, file: StaticString = #filePath, line: UInt = #line
    ) throws -> EdgeHarness {
        let harness = try EdgeHarness(settings: settings, authenticator: authenticator, healthy: healthy)
        self.finishesClean(harness.channel, file: file, line: line)
        return harness
    }
}

/// Records what the edge reports to the app side.
final class RecordingSink: ClientEventSink, @unchecked Sendable {
    // Only touched from the EmbeddedEventLoop's thread (the test's).
    var opened: [(ConnectionID, String)] = []
    /// The handles of the opened connections, as apps get them.
    var handles: [ConnectionHandle] = []
    var messages: [(String, Bool)] = []
    var closed: [(String, CloseCode?)] = []

    func connectionOpened(_ connection: ConnectionHandle) {
        self.opened.append((connection.id, connection.user))
        self.handles.append(connection)
    }
    func messageReceived(_ connection: ConnectionID, user: String, payload: ByteBuffer, isBinary: Bool) {
        self.messages.append((String(buffer: payload), isBinary))
    }
    func connectionClosed(_ connection: ConnectionID, user: String, code: CloseCode?, reason: String) {
        self.closed.append((user, code))
    }
}

/// An outbound handler that closes the channel instead of writing: a socket whose write fails, so that
/// NIO closes the channel before the write call returns.
final class ClosingOnWrite: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        promise?.fail(ChannelError.ioOnClosedChannel)
        context.close(promise: nil)
    }
}

extension EdgeHarness {
    /// From now on, the next write closes the channel before it returns (``ClosingOnWrite``).
    func failNextWrite() throws {
        try self.channel.pipeline.syncOperations.addHandler(ClosingOnWrite(), position: .first)
    }
}
