import NIOCore
import WSBridgeFrameHeader

/// One load connection: writes the upgrade request, waits for `101`, then only counts what the server
/// sends. Frames are parsed just enough to find message boundaries, answer pings and closes, and read
/// the 16 hex digits of the send stamp at the start of a payload (with latency recording). Nothing is
/// allocated per message; the partial-frame carry is needed only when a header or stamp straddles two
/// reads.
final class LoadClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct HandshakeFailed: Error, CustomStringConvertible {
        var description: String
    }

    private enum Stage {
        case handshake
        case header
        case payload
        case done
    }

    /// Larger frames are a protocol error here: the tool never asks for big messages.
    private static let maxFrameLength = 16 << 20

    private let state: LoopState
    private let request: [UInt8]
    private var handshakePromise: EventLoopPromise<Void>?
    private let recordLatency: Bool
    private var response: ByteBuffer?
    private var stage = Stage.handshake
    /// Header bytes, control-frame payload or stamp digits gathered across reads.
    private var carry: [UInt8] = []
    private var opcode: UInt8 = 0
    private var fin = false
    private var remaining = 0
    private var stampPending = false
    private var now: UInt64 = 0

    init(state: LoopState, request: [UInt8], handshake: EventLoopPromise<Void>, recordLatency: Bool) {
        self.state = state
        self.request = request
        self.handshakePromise = handshake
        self.recordLatency = recordLatency
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: request.count)
        buffer.writeBytes(request)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let promise = handshakePromise {
            handshakePromise = nil
            promise.fail(HandshakeFailed(description: "connection closed during the handshake"))
        } else if stage != .done && !state.closing {
            state.snapshot.dropped += 1
        }
        stage = .done
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let promise = handshakePromise {
            handshakePromise = nil
            promise.fail(error)
        }
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        now = monotonicNanoseconds()
        if stage == .handshake {
            guard readHandshake(context: context, buffer: &buffer) else { return }
        }
        consumeFrames(context: context, buffer: &buffer)
    }

    // MARK: Handshake

    /// Gathers the response head; true once the upgrade succeeded (`buffer` then holds what follows it).
    private func readHandshake(context: ChannelHandlerContext, buffer: inout ByteBuffer) -> Bool {
        if response == nil {
            response = buffer
        } else {
            response?.writeBuffer(&buffer)
        }
        guard var head = response else { return false }
        let view = head.readableBytesView
        guard let end = Self.headEnd(view) else {
            if head.readableBytes > 16384 { failHandshake(context: context, "response head larger than 16 KiB") }
            return false
        }
        let statusLine = view.prefix { $0 != UInt8(ascii: "\r") }
        let parts = statusLine.split(separator: UInt8(ascii: " "), maxSplits: 2)
        guard parts.count >= 2, parts[1].elementsEqual("101".utf8) else {
            failHandshake(context: context, String(decoding: statusLine, as: UTF8.self))
            return false
        }
        head.moveReaderIndex(forwardBy: end)
        buffer = head
        response = nil
        stage = .header
        state.snapshot.opened += 1
        state.snapshot.lastConnectedNs = max(state.snapshot.lastConnectedNs, now)
        let promise = handshakePromise
        handshakePromise = nil
        promise?.succeed(())
        return true
    }

    /// Offset just past the blank line ending the head, if it has arrived.
    private static func headEnd(_ view: ByteBufferView) -> Int? {
        var matched = 0
        var offset = 0
        let pattern: [UInt8] = [13, 10, 13, 10]
        for byte in view {
            offset += 1
            if byte == pattern[matched] {
                matched += 1
                if matched == 4 { return offset }
            } else {
                matched = byte == 13 ? 1 : 0
            }
        }
        return nil
    }

    private func failHandshake(context: ChannelHandlerContext, _ reason: String) {
        stage = .done
        if let promise = handshakePromise {
            handshakePromise = nil
            promise.fail(HandshakeFailed(description: "upgrade refused: \(reason)"))
        }
        context.close(promise: nil)
    }

    // MARK: Frames

    /// Each pass of the loop consumes at least one byte, so it ends.
    private func consumeFrames(context: ChannelHandlerContext, buffer: inout ByteBuffer) {
        while buffer.readableBytes > 0 && stage != .done {
            switch stage {
            case .header:
                readHeader(context: context, buffer: &buffer)
            case .payload:
                readPayload(context: context, buffer: &buffer)
            case .handshake, .done:
                return
            }
        }
    }

    private func readHeader(context: ChannelHandlerContext, buffer: inout ByteBuffer) {
        if carry.isEmpty, let (length, headerBytes) = Self.parseHeader(buffer.readableBytesView) {
            let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) ?? 0
            buffer.moveReaderIndex(forwardBy: headerBytes)
            beginFrame(context: context, first: first, length: length)
            return
        }
        // Slow path: a header split across reads. Take one byte at a time (at most 14).
        guard let byte = buffer.readInteger(as: UInt8.self) else { return }
        carry.append(byte)
        if let (length, _) = Self.parseHeader(carry) {
            let first = carry[0]
            carry.removeAll(keepingCapacity: true)
            beginFrame(context: context, first: first, length: length)
        }
    }

    /// (payload length, header length) if the whole header, masking key included, is in `bytes`.
    private static func parseHeader<C: RandomAccessCollection>(_ bytes: C) -> (Int, Int)? where C.Element == UInt8 {
        guard let header = WebSocketFrameHeader.read(bytes), bytes.count >= header.size else { return nil }
        // Far past maxFrameLength, so refused; kept from overflowing Int.
        let length = header.payloadLength < 1 << 48 ? Int(header.payloadLength) : Int.max
        return (length, header.size)
    }

    private func beginFrame(context: ChannelHandlerContext, first: UInt8, length: Int) {
        fin = first & 0x80 != 0
        opcode = first & 0x0F
        remaining = length
        let isControl = opcode >= 8
        if length > Self.maxFrameLength || (isControl && length > 125) {
            protocolError(context: context)
            return
        }
        if !isControl {
            state.snapshot.payloadBytes += length
            let compressed = first & 0x40 != 0
            if compressed { state.snapshot.compressedMessages += 1 }
            // The stamp is at the start of a message: its first frame (text or binary, not continuation);
            // a compressed message's is not read.
            if opcode != 0 && recordLatency && !compressed { stampPending = true }
        }
        stage = .payload
        if remaining == 0 { endFrame(context: context) }
    }

    private func readPayload(context: ChannelHandlerContext, buffer: inout ByteBuffer) {
        if opcode >= 8 {
            let n = min(remaining, buffer.readableBytes)
            if let bytes = buffer.readBytes(length: n) { carry.append(contentsOf: bytes) }
            remaining -= n
        } else if stampPending {
            readStamp(buffer: &buffer)
        } else {
            let n = min(remaining, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: n)
            remaining -= n
        }
        if remaining == 0 { endFrame(context: context) }
    }

    private func readStamp(buffer: inout ByteBuffer) {
        if carry.isEmpty && remaining >= 16 && buffer.readableBytes >= 16 {
            let stamp = buffer.withUnsafeReadableBytes { StampHex.read(UnsafeRawBufferPointer(rebasing: $0[0..<16])) }
            buffer.moveReaderIndex(forwardBy: 16)
            remaining -= 16
            record(stamp)
            return
        }
        if carry.count + remaining < 16 {
            // A message too short to hold a stamp.
            stampPending = false
            state.snapshot.badStamps += 1
            return
        }
        let n = min(16 - carry.count, buffer.readableBytes)
        if let bytes = buffer.readBytes(length: n) { carry.append(contentsOf: bytes) }
        remaining -= n
        if carry.count == 16 {
            let stamp = carry.withUnsafeBytes { StampHex.read($0) }
            carry.removeAll(keepingCapacity: true)
            record(stamp)
        }
    }

    private func record(_ stamp: UInt64?) {
        stampPending = false
        guard let stamp, stamp <= now else {
            state.snapshot.badStamps += 1
            return
        }
        _ = state.snapshot.latency?.record(now - stamp)
    }

    private func endFrame(context: ChannelHandlerContext) {
        stage = .header
        switch opcode {
        case 0, 1, 2:
            if stampPending {
                stampPending = false
                state.snapshot.badStamps += 1
            }
            if fin {
                state.snapshot.messages += 1
                if state.snapshot.firstReceiptNs == 0 { state.snapshot.firstReceiptNs = now }
                state.snapshot.lastReceiptNs = now
            }
        case 9:
            writeControl(context: context, opcode: 0xA, payload: carry)
            state.snapshot.pingsAnswered += 1
        case 8:
            let code = carry.count >= 2 ? Int(carry[0]) << 8 | Int(carry[1]) : 1005
            state.snapshot.closeCodes[String(code), default: 0] += 1
            writeControl(context: context, opcode: 0x8, payload: Array(carry.prefix(2)))
            stage = .done
            context.close(promise: nil)
        default:
            break
        }
        carry.removeAll(keepingCapacity: true)
    }

    /// A masked control frame (mask 0: the payload goes as is).
    private func writeControl(context: ChannelHandlerContext, opcode: UInt8, payload: [UInt8]) {
        var frame = context.channel.allocator.buffer(capacity: 6 + payload.count)
        WebSocketFrameHeader.write(first: 0x80 | opcode, payloadLength: payload.count, masked: true, into: &frame)
        frame.writeInteger(UInt32(0))
        frame.writeBytes(payload)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    private func protocolError(context: ChannelHandlerContext) {
        state.snapshot.protocolErrors += 1
        stage = .done
        context.close(promise: nil)
    }
}
