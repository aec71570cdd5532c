import NIOCore
import WSBridgeCore
import WSBridgeJSON

/// The events of the server-sent-events fallback (`text/event-stream`, WHATWG HTML §9.2), as wsbridge
/// writes them on `sse_path`.
///
/// ```
///  id: 6b1163c72284a-17.6b1163c70001f-4021      the session's position after it (durable messages)
///  data: first line of the message
///  data: second line                            one data line per line of the text
///                                               a blank line ends the event
///  event: binary                                a binary message: its bytes in base64
///  data: AAEC
///
///  event: gap                                   the same JSON as the wsbridge.v1 frames
///  id: …
///  data: {"type":"gap","stream":"user","reason":"history_trimmed","after":"…","missed":12,"pos":"…"}
///
///  event: ready
///  id: …
///  data: {"type":"ready","pos":"…","recovered":3}
///
///  event: close                                 before wsbridge closes the stream
///  data: {"type":"close","code":1001,"reason":"server shutting down"}
///
///  : keep-alive                                 a comment: nothing for the client, traffic for proxies
/// ```
///
/// A browser's `EventSource` remembers the last `id:` and sends it back as `Last-Event-ID` when it
/// reconnects: the positions are exactly the `pos` of `wsbridge.v1`, so a reconnect recovers what was
/// missed. A message without a position (published best effort) carries no `id:` and moves nothing.
/// Line breaks in a text message (CR, LF or CRLF) all arrive as LF: the format has no other way to
/// carry them.
enum EventStreamFrame {
    private static let idPrefix: StaticString = "id: "
    private static let dataPrefix: StaticString = "data: "
    private static let binaryEvent: StaticString = "event: binary\n"
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// The `event:` and `data:` lines of a message, with the blank line that ends the event; the same
    /// for every recipient, so a message's is made once (``data(of:)``).
    static func dataLines(_ payload: ByteBuffer, isBinary: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        if isBinary {
            var lines = allocator.buffer(capacity: 24 + payload.readableBytes * 4 / 3)
            lines.writeStaticString(Self.binaryEvent)
            lines.writeStaticString(Self.dataPrefix)
            Base64.write(payload, into: &lines)
            lines.writeInteger(Self.newline)
            lines.writeInteger(Self.newline)
            return lines
        }
        var lines = allocator.buffer(capacity: payload.readableBytes + 16)
        lines.writeStaticString(Self.dataPrefix)
        payload.withUnsafeReadableBytes { bytes in
            var start = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                guard byte == Self.newline || byte == Self.carriageReturn else {
                    index += 1
                    continue
                }
                lines.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                lines.writeInteger(Self.newline)
                lines.writeStaticString(Self.dataPrefix)
                // CRLF is one line break.
                index += byte == Self.carriageReturn && index + 1 < bytes.count && bytes[index + 1] == Self.newline ? 2 : 1
                start = index
            }
            lines.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<bytes.count]))
        }
        lines.writeInteger(Self.newline)
        lines.writeInteger(Self.newline)
        return lines
    }

    /// A delivery's data lines, made by its first recipient and shared by the rest.
    static func data(of delivery: Delivery, allocator: ByteBufferAllocator) -> ByteBuffer {
        delivery.encodings.encoded(.eventStream) {
            Self.dataLines(delivery.payload, isBinary: delivery.isBinary, allocator: allocator)
        }
    }

    /// A message event: `dataLines` (``dataLines(_:isBinary:allocator:)``) after the session's position,
    /// when the message has one.
    static func message(_ dataLines: ByteBuffer, position: SessionPosition?, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard let position else { return dataLines }
        let id = position.description
        var event = allocator.buffer(capacity: Self.idPrefix.utf8CodeUnitCount + id.utf8.count + 1 + dataLines.readableBytes)
        event.writeStaticString(Self.idPrefix)
        event.writeString(id)
        event.writeInteger(Self.newline)
        event.writeImmutableBuffer(dataLines)
        return event
    }

    static func gap(_ gap: StreamGap, stream: SessionStream, position: SessionPosition, allocator: ByteBufferAllocator) -> ByteBuffer {
        self.named("gap", id: position, json: SubprotocolFrame.gapJSON(gap, stream: stream, position: position), allocator: allocator)
    }

    static func ready(position: SessionPosition, recovered: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        self.named("ready", id: position, json: SubprotocolFrame.readyJSON(position: position, recovered: recovered), allocator: allocator)
    }

    /// Sent before wsbridge ends the stream, with the WebSocket close code it would have sent (1001 when
    /// shutting down, an app's `close`): a client that sees it knows the end was meant.
    static func close(_ code: CloseCode, reason: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var json = "{\"type\":\"close\",\"code\":\(code.rawValue),\"reason\":"
        json += JSONText.quoted(reason)
        json += "}"
        return self.named("close", id: nil, json: json, allocator: allocator)
    }

    /// A comment line and the blank line after it: read and ignored by the client, but it keeps
    /// proxies from timing the stream out and finds a dead connection.
    static func keepAlive(allocator: ByteBufferAllocator) -> ByteBuffer {
        var comment = allocator.buffer(capacity: 14)
        comment.writeStaticString(": keep-alive\n\n")
        return comment
    }

    /// An event with a type, an optional id and one line of JSON (which has no raw line breaks).
    private static func named(_ type: String, id: SessionPosition?, json: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var text = "event: " + type + "\n"
        if let id {
            text += "id: \(id)\n"
        }
        text += "data: " + json + "\n\n"
        var event = allocator.buffer(capacity: text.utf8.count)
        event.writeString(text)
        return event
    }
}

extension EncodedForm {
    /// A message's server-sent-event data lines (``EventStreamFrame/dataLines(_:isBinary:allocator:)``).
    static let eventStream = EncodedForm(rawValue: 1 << 8)
}
