import NIOCore
import WSBridgeJSON

/// Writes ``AppRequest``s as compact JSON objects, `type` then `id` first, straight into a
/// `ByteBuffer`: the app side of the protocol, mirror image of ``AppRequestParser``.
///
/// ```
/// .accept(id: 2, conn: "c1", user: "alice")  ->  {"type":"accept","id":2,"conn":"c1","user":"alice"}
/// ```
///
/// Every request parses back with ``AppRequestParser`` to an equal value (for values the parser would
/// accept). Defaults are left out where the parser restores them: an empty `reason` of `reject` or
/// `close`, a `binary` that is `false`, an absent `id`. `status` of `reject` and `code` of `close` are
/// always written. User ids are written as JSON strings.
///
/// `data` is written as `docs/protocol.md` ("Data") specifies: ``AppData/text(_:)`` as a JSON string,
/// ``AppData/json(_:)`` as the raw JSON text it holds, ``AppData/binary(_:)`` as base64 followed by
/// `"binary":true`.
///
/// Encoding never fails and never traps, but two things it cannot make right by escaping are the
/// caller's to ensure, and ``check(_:)`` verifies them: a `.json` payload must be exactly one JSON
/// value (it is written unchanged), and `.text` must be valid UTF-8 (any byte that is not is written
/// as `\ufffd`, so the frame stays valid JSON but the text changes).
public enum AppRequestEncoder {
    /// The JSON bytes of `request`, without the length prefix (for a pipeline with ``AppFrameEncoder``).
    public static func encode(_ request: AppRequest, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: estimatedSize(request))
        write(request, into: &buffer)
        return buffer
    }

    /// The whole frame of `request`: the 4-byte big-endian length, then the JSON bytes, in one buffer.
    public static func frame(_ request: AppRequest, allocator: ByteBufferAllocator) -> ByteBuffer {
        AppFrameEncoder.frame(estimatedBodySize: estimatedSize(request), allocator: allocator) { write(request, into: &$0) }
    }

    /// Appends the JSON object for `request` to `buffer`.
    public static func write(_ request: AppRequest, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"type\":")
        JSONText.writeQuoted(request.type, into: &buffer)
        if let id = request.id {
            buffer.writeStaticString(",\"id\":")
            buffer.writeString(id.json)
        }
        switch request {
        case .hello(_, let protocolVersion, let name, let paths, let tool, let presenceEvents):
            writeInteger("protocol", protocolVersion, into: &buffer)
            writeMember("name", name, into: &buffer)
            buffer.writeStaticString(",\"paths\":")
            writeArray(paths, into: &buffer)
            if tool { buffer.writeStaticString(",\"tool\":true") }
            if presenceEvents { buffer.writeStaticString(",\"presence_events\":true") }
        case .accept(_, let conn, let user):
            writeMember("conn", conn, into: &buffer)
            writeMember("user", user, into: &buffer)
        case .reject(_, let conn, let status, let reason):
            writeMember("conn", conn, into: &buffer)
            writeInteger("status", status, into: &buffer)
            if !reason.isEmpty { writeMember("reason", reason, into: &buffer) }
        case .register(_, let session, let user, let since):
            writeMember("session", session, into: &buffer)
            writeMember("user", user, into: &buffer)
            if let since { writeMember("since", since, into: &buffer) }
        case .unregister(_, let session):
            writeMember("session", session, into: &buffer)
        case .publish(_, let target, let data, let receipt):
            writeTarget(target, into: &buffer)
            writeData(data, into: &buffer)
            if receipt { buffer.writeStaticString(",\"receipt\":true") }
        case .presence(_, let users):
            writeTarget(.users(users), into: &buffer)
        case .send(_, let conn, let data):
            writeMember("conn", conn, into: &buffer)
            writeData(data, into: &buffer)
        case .close(_, let conn, let code, let reason):
            writeMember("conn", conn, into: &buffer)
            writeInteger("code", code, into: &buffer)
            if !reason.isEmpty { writeMember("reason", reason, into: &buffer) }
        case .ping, .status:
            break
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

    /// `,"name":<decimal>`.
    private static func writeInteger(_ name: StaticString, _ value: Int, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(",\"")
        buffer.writeStaticString(name)
        buffer.writeStaticString("\":")
        buffer.writeString(String(value))
    }

    /// `["a","b"]`, each element escaped.
    private static func writeArray(_ values: [String], into buffer: inout ByteBuffer) {
        buffer.writeStaticString("[")
        for (position, value) in values.enumerated() {
            if position > 0 { buffer.writeStaticString(",") }
            JSONText.writeQuoted(value, into: &buffer)
        }
        buffer.writeStaticString("]")
    }

    /// `,"user":"A"`, `,"users":["A","B"]` or `,"all":true`.
    private static func writeTarget(_ target: AppTarget, into buffer: inout ByteBuffer) {
        switch target {
        case .user(let user):
            writeMember("user", user, into: &buffer)
        case .users(let users):
            buffer.writeStaticString(",\"users\":")
            writeArray(users, into: &buffer)
        case .all:
            buffer.writeStaticString(",\"all\":true")
        }
    }

    /// `,"data":"<text>"`, `,"data":<raw JSON>` or `,"data":"<base64>","binary":true`.
    private static func writeData(_ data: AppData, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(",\"data\":")
        switch data {
        case .text(let text):
            JSONText.writeQuoted(text, into: &buffer)
        case .json(let json):
            buffer.writeImmutableBuffer(json)
        case .binary(let bytes):
            buffer.writeStaticString("\"")
            Base64.write(bytes, into: &buffer)
            buffer.writeStaticString("\",\"binary\":true")
        }
    }

    /// A capacity that holds most requests in one allocation: the payload (a third more for base64,
    /// a little for escapes) plus room for the other members.
    private static func estimatedSize(_ request: AppRequest) -> Int {
        switch request {
        case .publish(_, let target, let data, _):
            let users: Int
            if case .users(let list) = target {
                users = list.reduce(0) { $0 + $1.utf8.count + 3 }
            } else {
                users = 0
            }
            return 128 + users + estimatedSize(data)
        case .send(_, _, let data):
            return 128 + estimatedSize(data)
        case .hello(_, _, let name, let paths, _, _):
            return 128 + name.utf8.count + paths.reduce(0) { $0 + $1.utf8.count + 3 }
        default:
            return 128
        }
    }

    private static func estimatedSize(_ data: AppData) -> Int {
        let count = data.payload.readableBytes
        switch data {
        case .binary: return (count + 2) / 3 * 4 + 16
        case .text: return count + count / 16
        case .json: return count
        }
    }
}
