import NIOCore
import WSBridgeJSON

/// Writes ``AppEvent``s as compact JSON objects, `type` first, straight into a `ByteBuffer`.
///
/// No JSON tree and no `String` is built for a payload: text is escaped byte by byte
/// (`JSONText.writeQuoted(_:into:)`) and binary is base64-encoded in place, followed
/// by `"binary":true`. Optional members (`id`, `code` of `closed`, `user` of `connect`, `binary`) are
/// left out rather than written as `null`. A ``RequestID`` is written as its raw JSON text, and the
/// body of a `status` event as the raw JSON object text it holds (`{}` when it is empty).
///
/// Text payloads must be valid UTF-8 (the WebSocket receive side guarantees it); any byte that is not
/// is written as `\ufffd`, so the output is always valid JSON.
public enum AppEventEncoder {
    /// The JSON bytes of `event`, without the length prefix (for a pipeline with ``AppFrameEncoder``).
    public static func encode(_ event: AppEvent, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: estimatedSize(event))
        write(event, into: &buffer)
        return buffer
    }

    /// The whole frame of `event`: the 4-byte big-endian length, then the JSON bytes. Written once
    /// into one buffer, so it can go to the socket as it is.
    public static func frame(_ event: AppEvent, allocator: ByteBufferAllocator) -> ByteBuffer {
        AppFrameEncoder.frame(estimatedBodySize: estimatedSize(event), allocator: allocator) { write(event, into: &$0) }
    }

    /// Appends the JSON object for `event` to `buffer`.
    public static func write(_ event: AppEvent, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"type\":")
        JSONText.writeQuoted(event.type, into: &buffer)
        switch event {
        case .welcome(let id, let node, let version, let limits):
            writeID(id, into: &buffer)
            buffer.writeStaticString(",\"protocol\":")
            buffer.writeString(String(AppProtocol.version))
            writeMember("node", node, into: &buffer)
            writeMember("version", version, into: &buffer)
            buffer.writeStaticString(",\"limits\":{\"max_frame_bytes\":")
            buffer.writeString(String(limits.maxFrameBytes))
            // `app_max_queue_bytes` is the config key's name; `max_queue_bytes`, the same value, stays
            // for apps written against 0.1, which read only it.
            buffer.writeStaticString(",\"app_max_queue_bytes\":")
            buffer.writeString(String(limits.maxQueueBytes))
            buffer.writeStaticString(",\"max_queue_bytes\":")
            buffer.writeString(String(limits.maxQueueBytes))
            buffer.writeStaticString(",\"connect_timeout_ms\":")
            buffer.writeString(String(limits.connectTimeoutMilliseconds))
            buffer.writeStaticString("}")
        case .connect(let conn, let path, let query, let headers, let remote, let user):
            writeMember("conn", conn, into: &buffer)
            writeMember("path", path, into: &buffer)
            writeMember("query", query, into: &buffer)
            buffer.writeStaticString(",\"headers\":")
            writeHeaders(headers, into: &buffer)
            writeMember("remote", remote, into: &buffer)
            if let user { writeMember("user", user, into: &buffer) }
        case .message(let conn, let user, let payload, let isBinary):
            writeMember("conn", conn, into: &buffer)
            writeMember("user", user, into: &buffer)
            writeData(payload, isBinary: isBinary, into: &buffer)
        case .closed(let conn, let user, let code, let reason):
            writeMember("conn", conn, into: &buffer)
            writeMember("user", user, into: &buffer)
            if let code {
                buffer.writeStaticString(",\"code\":")
                buffer.writeString(String(code))
            }
            writeMember("reason", reason, into: &buffer)
        case .deliver(let session, let user, let payload, let isBinary, let pos):
            writeMember("session", session, into: &buffer)
            writeMember("user", user, into: &buffer)
            if let pos { writeMember("pos", pos, into: &buffer) }
            writeData(payload, isBinary: isBinary, into: &buffer)
        case .ok(let id, let pos, let positions, let receipt):
            writeID(id, into: &buffer)
            if let pos { writeMember("pos", pos, into: &buffer) }
            if let positions { writeMember("positions", positions, into: &buffer) }
            if let receipt { writeReceipt(receipt, into: &buffer) }
        case .presence(let id, let users):
            writeID(id, into: &buffer)
            buffer.writeStaticString(",\"users\":")
            AppPresence.writeObject(users, into: &buffer)
        case .presenceChanged(let event):
            writeMember("user", event.user, into: &buffer)
        case .pong(let id):
            writeID(id, into: &buffer)
        case .gap(let gap):
            if let session = gap.session { writeMember("session", session, into: &buffer) }
            if let user = gap.user { writeMember("user", user, into: &buffer) }
            writeMember("stream", gap.stream, into: &buffer)
            writeMember("reason", gap.reason, into: &buffer)
            if let after = gap.after { writeMember("after", after, into: &buffer) }
            if let missed = gap.missed {
                buffer.writeStaticString(",\"missed\":")
                buffer.writeString(String(missed))
            }
            if let pos = gap.pos { writeMember("pos", pos, into: &buffer) }
        case .error(let id, let code, let message):
            writeID(id, into: &buffer)
            writeMember("code", code.rawValue, into: &buffer)
            writeMember("message", message, into: &buffer)
        case .shutdown(let drainMilliseconds):
            buffer.writeStaticString(",\"drain_ms\":")
            buffer.writeString(String(drainMilliseconds))
        case .status(let id, let body):
            writeID(id, into: &buffer)
            buffer.writeStaticString(",\"status\":")
            if body.readableBytes > 0 {
                buffer.writeImmutableBuffer(body)
            } else {
                buffer.writeStaticString("{}")
            }
        }
        buffer.writeStaticString("}")
    }

    // MARK: Members

    /// `,"name":"value"`, with `value` escaped.
    private static func writeMember(_ name: StaticString, _ value: String, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(",\"")
        buffer.writeStaticString(name)
        buffer.writeStaticString("\":")
        JSONText.writeQuoted(value, into: &buffer)
    }

    /// `,"receipt":{"sessions":N,"hosts":M,"unknown_hosts":K,"users":{…},"offline":[…]}`.
    private static func writeReceipt(_ receipt: AppReceipt, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(",\"receipt\":{\"sessions\":")
        buffer.writeString(String(receipt.sessions))
        buffer.writeStaticString(",\"hosts\":")
        buffer.writeString(String(receipt.hosts))
        buffer.writeStaticString(",\"unknown_hosts\":")
        buffer.writeString(String(receipt.unknownHosts))
        buffer.writeStaticString(",\"users\":")
        AppPresence.writeObject(receipt.users, into: &buffer)
        buffer.writeStaticString(",\"offline\":[")
        for (position, user) in receipt.offline.enumerated() {
            if position > 0 { buffer.writeStaticString(",") }
            JSONText.writeQuoted(user, into: &buffer)
        }
        buffer.writeStaticString("]}")
    }

    /// `,"id":<raw>` when there is an id.
    private static func writeID(_ id: RequestID?, into buffer: inout ByteBuffer) {
        guard let id else { return }
        buffer.writeStaticString(",\"id\":")
        buffer.writeString(id.json)
    }

    /// `,"data":"<text>"` or `,"data":"<base64>","binary":true`.
    private static func writeData(_ payload: ByteBuffer, isBinary: Bool, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(",\"data\":")
        if isBinary {
            buffer.writeStaticString("\"")
            Base64.write(payload, into: &buffer)
            buffer.writeStaticString("\",\"binary\":true")
        } else {
            JSONText.writeQuoted(payload, into: &buffer)
        }
    }

    /// The headers as one object: names lower-cased, in order of first appearance, the values of a
    /// repeated name joined with `", "` (RFC 9110 §5.3), but repeated `cookie` fields with `"; "`: a
    /// cookie's value may hold a comma, and RFC 6265 §5.4 joins cookie pairs with `"; "`.
    private static func writeHeaders(_ headers: [(name: String, value: String)], into buffer: inout ByteBuffer) {
        var names: [String] = []
        var values: [String: String] = [:]
        names.reserveCapacity(headers.count)
        for (name, value) in headers {
            let key = name.lowercased()
            if let existing = values[key] {
                values[key] = existing + (key == "cookie" ? "; " : ", ") + value
            } else {
                names.append(key)
                values[key] = value
            }
        }
        buffer.writeStaticString("{")
        for (position, name) in names.enumerated() {
            if position > 0 { buffer.writeStaticString(",") }
            JSONText.writeQuoted(name, into: &buffer)
            buffer.writeStaticString(":")
            JSONText.writeQuoted(values[name] ?? "", into: &buffer)
        }
        buffer.writeStaticString("}")
    }

    /// A capacity that holds most events in one allocation: the payload (a third more for base64,
    /// a little for escapes) plus room for the other members.
    private static func estimatedSize(_ event: AppEvent) -> Int {
        switch event {
        case .message(_, _, let payload, let isBinary), .deliver(_, _, let payload, let isBinary, _):
            let data = payload.readableBytes
            return 128 + (isBinary ? (data + 2) / 3 * 4 : data + data / 16)
        case .status(_, let body):
            return 64 + body.readableBytes
        case .presence(_, let users):
            return 64 + users.reduce(0) { $0 + $1.user.utf8.count + 40 }
        case .ok(_, _, _, let receipt?):
            return 160 + receipt.users.reduce(0) { $0 + $1.user.utf8.count + 40 } + receipt.offline.reduce(0) { $0 + $1.utf8.count + 3 }
        case .connect(_, _, let query, let headers, _, _):
            return 256 + query.utf8.count + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 6 }
        default:
            return 128
        }
    }
}
