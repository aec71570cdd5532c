import WSBridgeJSON
import NIOCore
import NIOWebSocket
import WSBridgeCore
import WSBridgeDeflate

/// The receiving half of RFC 6455 as a state machine: reassembles fragmented messages, validates text
/// as UTF-8 and close frames, and says what to do. It performs no I/O.
///
/// Text is validated fragment by fragment as it arrives (``UTF8StreamValidator``): a fragment with a
/// byte no valid text could continue with fails the connection with 1007 at once, not when the
/// message ends (RFC 6455 §8.1, "fail fast").
///
/// With permessage-deflate negotiated (RFC 7692), a message whose first frame has RSV1 set is
/// compressed: its frames are collected as they came and inflated when the last one arrives, bounded by
/// `maxMessageBytes` (a message that inflates past it gets 1009, whatever its compressed size), then
/// validated as text. RSV1 on a continuation or a control frame breaks the protocol (§6.1).
struct MessageAssembler {
    enum Action: Equatable {
        /// Nothing to do (a fragment was stored).
        case none
        /// A complete message.
        case message(ByteBuffer, isBinary: Bool)
        /// Answer a ping with this payload.
        case pong(ByteBuffer)
        /// The client answered a ping.
        case pongReceived
        /// The client sent a close frame (code nil when it had no payload).
        case closeReceived(CloseCode?, reason: String)
        /// The client broke the protocol, or a limit: close with this code (and count the limit, if any).
        case fail(CloseCode, reason: String, limit: LimitKind? = nil)
    }

    private enum State {
        case idle
        /// A message in fragments; `text` validates a text message's bytes so far (nil for binary, and
        /// for a compressed message, validated once inflated); `frames` counts its frames so far.
        /// Indirect: a connection between messages (nearly every one, nearly always) holds one word for
        /// it instead of 42 bytes; a fragmented message pays an allocation per frame.
        indirect case assembling(ByteBuffer, text: UTF8StreamValidator?, frames: Int, compressed: CompressedKind?)
    }

    /// What a compressed message in fragments inflates to.
    private enum CompressedKind {
        case text
        case binary
    }

    let maxMessageBytes: Int
    let maxFragments: Int
    /// Whether permessage-deflate was negotiated: RSV1 marks a compressed message.
    let deflate: Bool
    private var state = State.idle

    init(maxMessageBytes: Int, maxFragments: Int = 1024, deflate: Bool = false) {
        self.maxMessageBytes = maxMessageBytes
        self.maxFragments = maxFragments
        self.deflate = deflate
    }

    /// The largest frame payload to accept: a compressed message may be a little larger than what it
    /// inflates to (incompressible data in stored blocks, 5 bytes per 64 KiB, and the block headers).
    var maxFrameBytes: Int {
        self.deflate ? self.maxMessageBytes + self.maxMessageBytes / 1024 + 64 : self.maxMessageBytes
    }

    /// Takes one frame; `inflater` is asked for only when a compressed message is complete.
    mutating func receive(_ frame: WebSocketFrame, inflater: () -> MessageInflater) -> Action {
        guard let maskKey = frame.maskKey else {
            return .fail(.protocolError, reason: "client frames must be masked")
        }
        guard !frame.rsv2, !frame.rsv3, !frame.rsv1 || self.deflate else {
            return .fail(.protocolError, reason: "reserved bits set without an extension")
        }
        if frame.rsv1, frame.opcode != .text, frame.opcode != .binary {
            return .fail(.protocolError, reason: "RSV1 set on a \(frame.opcode == .continuation ? "continuation" : "control") frame")
        }
        var payload = frame.data
        payload.webSocketUnmask(maskKey)

        switch frame.opcode {
        case .ping:
            guard frame.fin, payload.readableBytes <= 125 else {
                return .fail(.protocolError, reason: "bad control frame")
            }
            return .pong(payload)
        case .pong:
            guard frame.fin, payload.readableBytes <= 125 else {
                return .fail(.protocolError, reason: "bad control frame")
            }
            return .pongReceived
        case .connectionClose:
            guard frame.fin, payload.readableBytes <= 125 else {
                return .fail(.protocolError, reason: "bad control frame")
            }
            return Self.parseClose(payload)
        case .text, .binary:
            guard case .idle = self.state else {
                return .fail(.protocolError, reason: "new message before the previous one ended")
            }
            let isBinary = frame.opcode == .binary
            if frame.rsv1 {
                guard payload.readableBytes <= self.maxFrameBytes else { return self.tooBig }
                if frame.fin {
                    return self.inflate(payload, isBinary: isBinary, inflater: inflater())
                }
                guard self.maxFragments > 1 else { return self.tooManyFragments }
                self.state = .assembling(payload, text: nil, frames: 1, compressed: isBinary ? .binary : .text)
                return .none
            }
            guard payload.readableBytes <= self.maxMessageBytes else { return self.tooBig }
            if frame.fin {
                return Self.complete(payload, isBinary: isBinary)
            }
            var text: UTF8StreamValidator? = nil
            if !isBinary {
                var validator = UTF8StreamValidator()
                guard validator.feed(payload.readableBytesView) else { return Self.invalidText }
                text = validator
            }
            guard self.maxFragments > 1 else { return self.tooManyFragments }
            self.state = .assembling(payload, text: text, frames: 1, compressed: nil)
            return .none
        case .continuation:
            guard case .assembling(var buffer, var text, let frames, let compressed) = self.state else {
                return .fail(.protocolError, reason: "continuation frame without a message")
            }
            guard frames < self.maxFragments else {
                self.state = .idle
                return self.tooManyFragments
            }
            let limit = compressed == nil ? self.maxMessageBytes : self.maxFrameBytes
            guard buffer.readableBytes + payload.readableBytes <= limit else {
                self.state = .idle
                return self.tooBig
            }
            self.state = .idle  // drop our reference so the append does not copy
            if let compressed {
                buffer.writeBuffer(&payload)
                if frame.fin {
                    return self.inflate(buffer, isBinary: compressed == .binary, inflater: inflater())
                }
                self.state = .assembling(buffer, text: nil, frames: frames + 1, compressed: compressed)
                return .none
            }
            if text != nil {
                guard text!.feed(payload.readableBytesView) else { return Self.invalidText }
                if frame.fin, !text!.isComplete { return Self.invalidText }
            }
            buffer.writeBuffer(&payload)
            if frame.fin {
                return .message(buffer, isBinary: text == nil)
            }
            self.state = .assembling(buffer, text: text, frames: frames + 1, compressed: nil)
            return .none
        default:
            return .fail(.protocolError, reason: "unknown opcode \(frame.opcode)")
        }
    }

    private static let invalidText = Action.fail(.invalidPayload, reason: "text message is not valid UTF-8")

    /// For a frame still arriving: the validator its payload continues when it carries uncompressed
    /// text (a text frame starts a new one; a continuation goes on with its message's), so that invalid
    /// UTF-8 fails the connection before the frame ends. Nil for any other frame, which ``receive``
    /// judges once it is whole (a frame out of place included).
    func textValidator(for header: ClientFrameParser.Header) -> UTF8StreamValidator? {
        guard !header.rsv1, !header.rsv2, !header.rsv3 else { return nil }
        switch (header.opcode, self.state) {
        case (.text, .idle):
            return UTF8StreamValidator()
        case (.continuation, .assembling(_, let text?, _, nil)):
            return text
        default:
            return nil
        }
    }

    private var tooBig: Action {
        .fail(.messageTooBig, reason: "message exceeds \(self.maxMessageBytes) bytes", limit: .messageTooBig)
    }

    /// A compressed message, complete: inflated within `maxMessageBytes`, then checked like any other.
    private func inflate(_ compressed: ByteBuffer, isBinary: Bool, inflater: MessageInflater) -> Action {
        var message = ByteBuffer()
        do throws(MessageInflater.Failure) {
            try inflater.inflate(compressed, into: &message, limit: self.maxMessageBytes)
            try inflater.finish(into: &message, limit: self.maxMessageBytes)
        } catch {
            inflater.reset()
            switch error {
            case .tooLarge:
                return .fail(
                    .messageTooBig, reason: "message inflates past \(self.maxMessageBytes) bytes", limit: .messageTooBig)
            case .corrupt(let detail):
                return .fail(.invalidPayload, reason: "compressed message is not valid deflate data: \(detail)")
            }
        }
        return Self.complete(message, isBinary: isBinary)
    }

    private var tooManyFragments: Action {
        .fail(.policyViolation, reason: "message in more than \(self.maxFragments) frames", limit: .messageFragments)
    }

    /// A message in one frame.
    private static func complete(_ payload: ByteBuffer, isBinary: Bool) -> Action {
        if !isBinary && !UTF8Validation.isValid(payload.readableBytesView) {
            return Self.invalidText
        }
        return .message(payload, isBinary: isBinary)
    }

    private static func parseClose(_ payload: ByteBuffer) -> Action {
        var payload = payload
        switch payload.readableBytes {
        case 0:
            return .closeReceived(nil, reason: "")
        case 1:
            return .fail(.protocolError, reason: "close frame with a 1-byte payload")
        default:
            guard let raw = payload.readInteger(as: UInt16.self) else {
                return .fail(.protocolError, reason: "bad close frame")
            }
            let code = CloseCode(rawValue: raw)
            guard code.isValidOnTheWire else {
                return .fail(.protocolError, reason: "close code \(raw) may not be sent")
            }
            guard UTF8Validation.isValid(payload.readableBytesView) else {
                return .fail(.invalidPayload, reason: "close reason is not valid UTF-8")
            }
            return .closeReceived(code, reason: String(buffer: payload))
        }
    }
}
