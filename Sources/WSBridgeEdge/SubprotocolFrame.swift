import NIOCore
import WSBridgeCore
import WSBridgeJSON

/// The server frames of the `wsbridge.v1` subprotocol: every one a JSON text frame with a `type`.
///
/// ```
///  {"type":"message","pos":"6b1163c72284a-17.6b1163c70001f-4021","data":"hello"}
///  {"type":"message","data":{"n":1}}                      best effort: no position
///  {"type":"message","pos":"…","data":"AAEC","binary":true}
///  {"type":"gap","stream":"user","reason":"history_trimmed","after":"6b1163c72284a-3","missed":12,"pos":"…"}
///  {"type":"ready","pos":"…","recovered":3}               the recovery is done: live from here
/// ```
///
/// `data` is the value as published (a JSON string stays a string; any other value is its JSON text;
/// binary is base64). Each frame is written in one buffer, header included: the payload's length is
/// known before a byte is written.
enum SubprotocolFrame {
    /// The subprotocol's name in `Sec-WebSocket-Protocol`.
    static let name = "wsbridge.v1"

    private static let open: StaticString = "{\"type\":\"message\","
    private static let posKey: StaticString = "\"pos\":\""
    private static let posEnd: StaticString = "\","
    private static let dataKey: StaticString = "\"data\":"
    private static let binary: StaticString = ",\"binary\":true"

    /// A message; `data` is raw JSON text (a published envelope's `data`).
    static func message(
        data: ByteBuffer, isBinary: Bool, position: SessionPosition?, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        let pos = position?.description
        var length = Self.open.utf8CodeUnitCount + Self.dataKey.utf8CodeUnitCount + data.readableBytes + 1
        if let pos { length += Self.posKey.utf8CodeUnitCount + pos.utf8.count + Self.posEnd.utf8CodeUnitCount }
        if isBinary { length += Self.binary.utf8CodeUnitCount }
        var frame = allocator.buffer(capacity: ServerFrame.encodedSize(payloadLength: length))
        ServerFrame.writeHeader(.text, payloadLength: length, into: &frame)
        frame.writeStaticString(Self.open)
        if let pos {
            frame.writeStaticString(Self.posKey)
            frame.writeString(pos)
            frame.writeStaticString(Self.posEnd)
        }
        frame.writeStaticString(Self.dataKey)
        frame.writeImmutableBuffer(data)
        if isBinary {
            frame.writeStaticString(Self.binary)
        }
        frame.writeStaticString("}")
        return frame
    }

    /// A message an app sent to this connection alone (`send`): its payload as a JSON string, or base64.
    static func sent(_ payload: ByteBuffer, isBinary: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        var data = allocator.buffer(capacity: payload.readableBytes * 4 / 3 + 8)
        if isBinary {
            data.writeInteger(UInt8(ascii: "\""))
            Base64.write(payload, into: &data)
            data.writeInteger(UInt8(ascii: "\""))
        } else {
            _ = payload.withUnsafeReadableBytes { JSONText.writeQuoted($0, into: &data) }
        }
        return self.message(data: data, isBinary: isBinary, position: nil, allocator: allocator)
    }

    static func gap(_ gap: StreamGap, stream: SessionStream, position: SessionPosition, allocator: ByteBufferAllocator) -> ByteBuffer {
        self.text(self.gapJSON(gap, stream: stream, position: position), allocator: allocator)
    }

    static func ready(position: SessionPosition, recovered: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        self.text(self.readyJSON(position: position, recovered: recovered), allocator: allocator)
    }

    /// The JSON of a `gap` frame (also the data of the server-sent `gap` event).
    static func gapJSON(_ gap: StreamGap, stream: SessionStream, position: SessionPosition) -> String {
        var text = "{\"type\":\"gap\",\"stream\":\"\(stream.rawValue)\",\"reason\":\"\(gap.reason.rawValue)\""
        if let after = gap.after {
            text += ",\"after\":\"\(after)\""
        }
        if let missed = gap.missed {
            text += ",\"missed\":\(missed)"
        }
        text += ",\"pos\":\"\(position)\"}"
        return text
    }

    /// The JSON of a `ready` frame (also the data of the server-sent `ready` event).
    static func readyJSON(position: SessionPosition, recovered: Int) -> String {
        "{\"type\":\"ready\",\"pos\":\"\(position)\",\"recovered\":\(recovered)}"
    }

    private static func text(_ text: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var payload = allocator.buffer(capacity: text.utf8.count)
        payload.writeString(text)
        return ServerFrame.encode(.text, payload: payload, allocator: allocator)
    }

    /// Whether the client offered the subprotocol (`Sec-WebSocket-Protocol`, any of its comma-separated
    /// values, in any of its header lines).
    static func isOffered(_ values: [String]) -> Bool {
        values.contains { line in
            line.split(separator: ",").contains { token in
                token.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" })
                    .reversed().elementsEqual(Self.name)
            }
        }
    }
}
