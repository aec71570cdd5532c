// nio-floor: bench/floor's server written with SwiftNIO, one channel and one handler per connection, and
// nothing else: the cheapest a NIO-based fan-out daemon can be. Beside bench/floor (C, one epoll loop,
// a bare write per delivery) it splits what wsbridge costs above the floor into what NIO's channel costs
// (nio-floor ÷ floor) and what wsbridge adds on top (wsbridge ÷ nio-floor). See docs/benchmarks.md.
//
// It does what bench/floor does, the same way: it answers the WebSocket upgrade (101 with the right
// Sec-WebSocket-Accept, the user from ?user=uN), holds the connections, drops what clients send, and takes
// RESP `PUBLISH channel envelope` on a control socket (the bytes the load tool sends Redis), where the
// envelope is {"user":"uN","data":"..."} or {"all":true,"data":"..."}. Each message's text frame is
// encoded once and written with `writeAndFlush` to each recipient's channel; the answer is `:N`.
//
//     nio-floor --listen 127.0.0.1:8081 --control 127.0.0.1:8082
//
// Loopback addresses only. One event loop, like bench/floor's one thread.
import Crypto
import NIOCore
import NIOPosix
import WSBridgeFrameHeader
import WSBridgeJSON

/// Every open connection, and each user's, on the one event loop.
final class Connections {
    var all: [FloorConnection] = []
    var byUser: [Int: [FloorConnection]] = [:]

    func add(_ connection: FloorConnection) {
        connection.index = self.all.count
        self.all.append(connection)
        if connection.user >= 0 { self.byUser[connection.user, default: []].append(connection) }
    }

    func remove(_ connection: FloorConnection) {
        guard connection.index >= 0 else { return }
        let last = self.all.removeLast()
        if last !== connection {
            self.all[connection.index] = last
            last.index = connection.index
        }
        connection.index = -1
        if connection.user >= 0, var list = self.byUser[connection.user] {
            list.removeAll { $0 === connection }
            self.byUser[connection.user] = list.isEmpty ? nil : list
        }
    }

    /// Writes `frame` to the message's recipients; nil when `envelope` is not one.
    func publish(_ envelope: ByteBufferView, allocator: ByteBufferAllocator) -> Int? {
        guard let data = envelope.value(after: #""data":""#) else { return nil }
        var frame = allocator.buffer(capacity: WebSocketFrameHeader.size(payloadLength: data.count) + data.count)
        WebSocketFrameHeader.write(first: 0x81, payloadLength: data.count, into: &frame)  // final text frame
        frame.writeBytes(data)
        let recipients: [FloorConnection]
        if envelope.contains(#""all":true"#) {
            recipients = self.all
        } else {
            guard let user = envelope.value(after: #""user":""#).flatMap(parseUser) else { return nil }
            recipients = self.byUser[user] ?? []
        }
        for connection in recipients { connection.write(frame) }
        return recipients.count
    }
}

/// One client connection: the upgrade, then nothing but the frames written to it.
final class FloorConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let maxHead = 8192
    private let connections: Connections
    private var head: ByteBuffer?
    private var context: ChannelHandlerContext?
    var user = -1
    var index = -1

    init(connections: Connections) {
        self.connections = connections
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // What an open connection's client sends (pongs, a close) is read and dropped, as bench/floor does.
        guard self.index < 0 else { return }
        var bytes = Self.unwrapInboundIn(data)
        if self.head == nil {
            self.head = bytes
        } else {
            self.head!.writeBuffer(&bytes)
        }
        let head = self.head!.readableBytesView
        guard let end = head.firstIndex(of: "\r\n\r\n") else {
            if head.count > Self.maxHead { self.refuse("431 Request Header Fields Too Large", context: context) }
            return
        }
        let request = head[head.startIndex..<end]
        self.head = nil
        guard request.starts(with: "GET ".utf8) else { return self.refuse("405 Method Not Allowed", context: context) }
        let lineEnd = request.firstIndex(of: "\r\n") ?? request.endIndex
        let line = request[request.startIndex..<lineEnd]
        guard let key = request[lineEnd...].headerValue("sec-websocket-key"), key.count <= 64 else {
            return self.refuse("400 Bad Request", context: context)
        }
        if let query = line.firstIndex(of: "?user=") {
            let value = line[(query + 6)...].prefix { $0 != UInt8(ascii: "&") && $0 != UInt8(ascii: " ") }
            self.user = parseUser(value) ?? -1
        }
        let digest = Insecure.SHA1.hash(data: Array(key) + Array("258EAFA5-E914-47DA-95CA-C5AB0DC85B11".utf8))
        let accept = digest.withUnsafeBytes { Base64.encode($0) }
        var response = context.channel.allocator.buffer(capacity: 160)
        response.writeString(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: \(accept)\r\n\r\n")
        self.connections.add(self)
        context.writeAndFlush(Self.wrapOutboundOut(response), promise: nil)
    }

    func write(_ frame: ByteBuffer) {
        self.context?.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
    }

    /// Over the write-buffer mark (1 MiB, like wsbridge's max_queue_bytes): cut off, as bench/floor does.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if !context.channel.isWritable { context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.connections.remove(self)
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func refuse(_ status: String, context: ChannelHandlerContext) {
        self.head = nil
        var response = context.channel.allocator.buffer(capacity: 96)
        response.writeString("HTTP/1.1 \(status)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(response)).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// The control socket: RESP arrays of bulk strings, `PUBLISH channel envelope` and `PING`.
final class ControlConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let maxBuffer = 4 << 20
    private let connections: Connections
    private var input: ByteBuffer?

    init(connections: Connections) {
        self.connections = connections
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = Self.unwrapInboundIn(data)
        if self.input == nil {
            self.input = bytes
        } else {
            self.input!.writeBuffer(&bytes)
        }
        var replies = context.channel.allocator.buffer(capacity: 64)
        while true {
            switch self.input!.readCommand() {
            case .incomplete:
                if self.input!.readableBytes > Self.maxBuffer { context.close(promise: nil) }
                if replies.readableBytes > 0 { context.writeAndFlush(Self.wrapOutboundOut(replies), promise: nil) }
                return
            case .bad:
                context.close(promise: nil)
                return
            case .command(let argv):
                let name = String(decoding: argv[0], as: UTF8.self).uppercased()
                if name == "PUBLISH", argv.count == 3 {
                    if let recipients = self.connections.publish(argv[2], allocator: context.channel.allocator) {
                        replies.writeString(":\(recipients)\r\n")
                    } else {
                        replies.writeString("-ERR not an envelope\r\n")
                    }
                } else if name == "PING", argv.count == 1 {
                    replies.writeString("+PONG\r\n")
                } else {
                    replies.writeString("-ERR nio-floor knows PUBLISH and PING only\r\n")
                }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

enum ParsedCommand {
    case incomplete
    case bad
    case command([ByteBufferView])
}

extension ByteBuffer {
    /// Reads one RESP array of bulk strings (at most 4), or nothing when it is not all here.
    mutating func readCommand() -> ParsedCommand {
        let start = self.readerIndex
        func line() -> Int?? {
            let view = self.readableBytesView
            guard let end = view.firstIndex(of: "\r\n") else { return .some(nil) }
            guard let number = Int(String(decoding: view[(view.startIndex + 1)..<end], as: UTF8.self)) else {
                return nil
            }
            self.moveReaderIndex(to: end + 2)
            return number
        }
        guard let first = self.readableBytesView.first else { return .incomplete }
        guard first == UInt8(ascii: "*") else { return .bad }
        guard let count = line() else { return .bad }
        guard let count else { return .incomplete }
        guard (1...4).contains(count) else { return .bad }
        var argv: [ByteBufferView] = []
        for _ in 0..<count {
            guard let marker = self.readableBytesView.first else {
                self.moveReaderIndex(to: start)
                return .incomplete
            }
            guard marker == UInt8(ascii: "$"), let length = line() else { return .bad }
            guard let length, self.readableBytes >= length + 2 else {
                self.moveReaderIndex(to: start)
                return .incomplete
            }
            guard length >= 0 else { return .bad }
            argv.append(self.readSlice(length: length)!.readableBytesView)
            self.moveReaderIndex(forwardBy: 2)
        }
        return .command(argv)
    }
}

extension ByteBufferView {
    /// Where `needle` starts (good enough for short needles in short texts).
    func firstIndex(of needle: String) -> Int? {
        let bytes = Array(needle.utf8)
        guard self.count >= bytes.count else { return nil }
        var index = self.startIndex
        while index + bytes.count <= self.endIndex {
            if self[index] == bytes[0], self[index..<(index + bytes.count)].elementsEqual(bytes) { return index }
            index += 1
        }
        return nil
    }

    func contains(_ needle: String) -> Bool {
        self.firstIndex(of: needle) != nil
    }

    /// The text after `prefix` up to the next `"` (good enough for the envelopes the load tool writes).
    func value(after prefix: String) -> SubSequence? {
        guard let start = self.firstIndex(of: prefix) else { return nil }
        let rest = self[(start + prefix.utf8.count)...]
        guard let end = rest.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return rest[rest.startIndex..<end]
    }

    /// The value of header `lowercasedName` in "\r\nName: value" lines.
    func headerValue(_ lowercasedName: String) -> SubSequence? {
        let name = Array(lowercasedName.utf8)
        var lineStart = self.startIndex
        while lineStart < self.endIndex {
            let lineEnd = self[lineStart...].firstIndex(of: "\r\n") ?? self.endIndex
            let line = self[lineStart..<lineEnd]
            if line.count > name.count, line[lineStart + name.count] == UInt8(ascii: ":"),
                zip(line, name).allSatisfy({ ($0 | 0x20) == $1 || $0 == $1 })
            {
                let value = line[(lineStart + name.count + 1)...].drop { $0 == UInt8(ascii: " ") }
                return value.prefix { $0 != UInt8(ascii: " ") }
            }
            lineStart = lineEnd + 2
        }
        return nil
    }
}

/// "u123" → 123.
func parseUser<Bytes: Collection<UInt8>>(_ text: Bytes) -> Int? {
    guard text.count >= 2, text.count <= 10, text.first == UInt8(ascii: "u") else { return nil }
    var value = 0
    for byte in text.dropFirst() {
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
    }
    return value
}

/// "127.x.y.z:PORT", loopback only.
func loopbackAddress(_ text: String) throws -> SocketAddress {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
        text.hasPrefix("127.")
    else {
        throw UsageError(message: "nio-floor: \(text) is not a 127.0.0.0/8 HOST:PORT")
    }
    return try SocketAddress(ipAddress: String(text[..<colon]), port: port)
}

struct UsageError: Error, CustomStringConvertible {
    let message: String
    var description: String { self.message }
}

func option(_ name: String, in arguments: [String]) throws -> String {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else {
        throw UsageError(message: "usage: nio-floor --listen 127.0.0.1:PORT --control 127.0.0.1:PORT")
    }
    return arguments[index + 1]
}

@main
enum NIOFloor {
    static func main() throws {
        let arguments = CommandLine.arguments
        let listen = try loopbackAddress(try option("--listen", in: arguments))
        let control = try loopbackAddress(try option("--control", in: arguments))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let connections = try loop.submit { NIOLoopBound(Connections(), eventLoop: loop) }.wait()
        let server = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.tcpOption(.tcp_nodelay), value: 1)  // accepted sockets inherit it on Linux
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // As wsbridge does: set here, not as child options (which NIO applies one future at a time).
                    if let options = channel.syncOptions {
                        try options.setOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 512))
                        try options.setOption(.writeBufferWaterMark, value: .init(low: 512 * 1024, high: 1 << 20))
                    }
                    try channel.pipeline.syncOperations.addHandler(FloorConnection(connections: connections.value))
                }
            }
            .bind(to: listen).wait()
        let controlServer = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ControlConnection(connections: connections.value))
                }
            }
            .bind(to: control).wait()
        print("nio-floor: listening on \(server.localAddress!) and control on \(controlServer.localAddress!)")
        try server.closeFuture.wait()
    }
}
