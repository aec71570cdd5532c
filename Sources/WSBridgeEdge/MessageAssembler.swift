import WSBridgeJSON
import NIOCore
import NIOWebSocket
import WSBridgeCore

/// The receiving half of RFC 6455 as a state machine: reassembles fragmented messages, validates text
/// as UTF-8 and close frames, and says what to do. It performs no I/O.
///
/// Text is validated fragment by fragment as it arrives (``UTF8StreamValidator``): a fragment with a
/// byte no valid text could continue with fails the connection with 1007 at once, not when the
/// message ends (RFC 6455 §8.1, "fail fast").
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
        /// A message in fragments; `text` validates a text message's bytes so far (nil for binary);
        /// `frames` counts its frames so far.
        case assembling(ByteBuffer, text: UTF8StreamValidator?, frames: Int)
    }

    let maxMessageBytes: Int
    let maxFragments: Int
    private var state = State.idle

    init(maxMessageBytes: Int, maxFragments: Int = 1024) {
        self.maxMessageBytes = maxMessageBytes
        self.maxFragments = maxFragments
    }

    mutating func receive(_ frame: WebSocketFrame) -> Action {
        guard let maskKey = frame.maskKey else {
            return .fail(.protocolError, reason: "client frames must be masked")
        }
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            return .fail(.protocolError, reason: "reserved bits set without an extension")
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
            guard payload.readableBytes <= self.maxMessageBytes else {
                return .fail(.messageTooBig, reason: "message exceeds \(self.maxMessageBytes) bytes", limit: .messageTooBig)
            }
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
            self.state = .assembling(payload, text: text, frames: 1)
            return .none
        case .continuation:
            guard case .assembling(var buffer, var text, let frames) = self.state else {
                return .fail(.protocolError, reason: "continuation frame without a message")
            }
            guard frames < self.maxFragments else {
                self.state = .idle
                return self.tooManyFragments
            }
            guard buffer.readableBytes + payload.readableBytes <= self.maxMessageBytes else {
                self.state = .idle
                return .fail(.messageTooBig, reason: "message exceeds \(self.maxMessageBytes) bytes", limit: .messageTooBig)
            }
            self.state = .idle  // drop our reference so the append does not copy
            if text != nil {
                guard text!.feed(payload.readableBytesView) else { return Self.invalidText }
                if frame.fin, !text!.isComplete { return Self.invalidText }
            }
            buffer.writeBuffer(&payload)
            if frame.fin {
                return .message(buffer, isBinary: text == nil)
            }
            self.state = .assembling(buffer, text: text, frames: frames + 1)
            return .none
        default:
            return .fail(.protocolError, reason: "unknown opcode \(frame.opcode)")
        }
    }

    private static let invalidText = Action.fail(.invalidPayload, reason: "text message is not valid UTF-8")

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
