import NIOCore
import WSBridgeJSON

/// Reads one frame's JSON bytes (as ``AppFrameDecoder`` produces them) into an ``AppRequest``.
///
/// The frame is scanned once by ``JSONScanner`` (strict RFC 8259, UTF-8 validated, no tree built);
/// only the members a request type defines are read, and `data` stays raw JSON text or a slice of the
/// frame wherever it can. Checks, in order, each failing with its own code:
///
/// 1. the bytes are valid UTF-8 (`invalid_utf8`), valid JSON (`invalid_json`), an object
///    (`not_an_object`);
/// 2. `id`, if present, is a string or an integer (`bad_field`, without an id to echo);
/// 3. `type` is present and a string (`missing_type`) naming a request of protocol 1 (`unknown_type`);
/// 4. the type's fields: required ones present (`missing_field`), each of the right JSON type and
///    range, none of them twice (`bad_field`).
///
/// Every error from step 3 on carries the request's id. The parser never traps, whatever the bytes.
public enum AppRequestParser {
    /// Parses the readable bytes of one frame.
    public static func parse(_ frame: ByteBuffer) -> Result<AppRequest, AppProtocolError> {
        frame.withUnsafeReadableBytes { bytes in
            do throws(AppProtocolError) {
                return .success(try parse(bytes, frame: frame))
            } catch {
                return .failure(error)
            }
        }
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer, frame: ByteBuffer) throws(AppProtocolError) -> AppRequest {
        let members: [JSONMember]
        do {
            members = try JSONScanner.scanObject(bytes, maxDepth: AppProtocol.maxDepth)
        } catch {
            throw classify(error, bytes)
        }
        var fields = RequestFields(bytes: bytes, frame: frame, members: members, id: nil)
        fields.id = try requestID(fields)
        let type = try requestType(fields)
        switch type {
        case "hello": return try hello(fields)
        case "accept": return .accept(id: fields.id, conn: try fields.conn(), user: try fields.userID("user"))
        case "reject": return try reject(fields)
        case "register":
            return .register(
                id: fields.id, session: try session(fields), user: try fields.userID("user"),
                since: try fields.string("since", maxBytes: AppProtocol.maxPositionBytes))
        case "unregister": return .unregister(id: fields.id, session: try session(fields))
        case "publish": return try publish(fields)
        case "send": return .send(id: fields.id, conn: try fields.conn(), data: try data(fields))
        case "close": return try close(fields)
        case "ping": return .ping(id: fields.id)
        case "status": return .status(id: fields.id)
        case "presence": return try presence(fields)
        default:
            throw fields.error(.unknownType, "unknown request type \(excerpt(type)) in protocol \(AppProtocol.version)")
        }
    }

    /// Maps a scanner failure to the protocol's codes; UTF-8 is judged over the whole frame, so a
    /// frame that is both broken JSON and broken UTF-8 is reported as `invalid_utf8`.
    static func classify(_ error: JSONScanError, _ bytes: UnsafeRawBufferPointer) -> AppProtocolError {
        switch error.code {
        case .notAnObject:
            return AppProtocolError(code: .notAnObject, message: "the frame is JSON but not an object")
        case .tooDeep:
            return AppProtocolError(code: .invalidJSON, message: error.description)
        case .invalidJSON:
            guard UTF8Validation.isValid(bytes) else {
                return AppProtocolError(code: .invalidUTF8, message: "the frame is not valid UTF-8")
            }
            return AppProtocolError(code: .invalidJSON, message: error.description)
        }
    }

    /// The `id`: absent, a JSON string or a JSON integer, kept as its raw text.
    static func requestID(_ fields: RequestFields) throws(AppProtocolError) -> RequestID? {
        guard let member = try fields.member("id") else { return nil }
        let text = UnsafeRawBufferPointer(rebasing: fields.bytes[member.value])
        switch member.kind {
        case .string:
            return RequestID(json: String(decoding: text, as: UTF8.self))
        case .number:
            guard (try? JSONScanner.integerText(fields.bytes, member.value)) != nil else {
                throw fields.error(.badField, "\"id\" must be a string or an integer, not a fraction")
            }
            return RequestID(json: String(decoding: text, as: UTF8.self))
        default:
            throw fields.error(.badField, "\"id\" must be a string or an integer")
        }
    }

    /// The `type`: a string member, required.
    private static func requestType(_ fields: RequestFields) throws(AppProtocolError) -> String {
        guard let member = try fields.member("type"), member.kind == .string else {
            throw fields.error(.missingType, "the request has no string member \"type\"")
        }
        return try fields.decodeString(member.value, name: "type", maxBytes: fields.bytes.count, nonEmpty: false)
    }

    // MARK: Request types

    private static func hello(_ fields: RequestFields) throws(AppProtocolError) -> AppRequest {
        guard let version = try fields.integer("protocol") else {
            throw fields.error(.missingField, "\"protocol\" is required")
        }
        let name = try fields.requiredString("name", maxBytes: AppProtocol.maxNameBytes, nonEmpty: true)
        let member = try fields.required("paths")
        var paths: [String] = []
        for (position, element) in try fields.elements(of: member).enumerated() {
            let name = "paths[\(position)]"
            guard element.kind == .string else {
                throw fields.error(.badField, "\"\(name)\" must be a string")
            }
            let path = try fields.decodeString(element.value, name: name, maxBytes: fields.bytes.count, nonEmpty: true)
            guard path.utf8.first == UInt8(ascii: "/"),
                !path.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") })
            else {
                throw fields.error(.badField, "\"\(name)\" must start with \"/\" and hold no space, \"?\" or \"#\"")
            }
            if !paths.contains(path) { paths.append(path) }
        }
        let tool = try fields.bool("tool") ?? false
        guard !tool || paths.isEmpty else {
            throw fields.error(.badField, "a tool (\"tool\": true) serves no paths; \"paths\" must be empty")
        }
        let presenceEvents = try fields.bool("presence_events") ?? false
        return .hello(
            id: fields.id, protocolVersion: version, name: name, paths: paths, tool: tool, presenceEvents: presenceEvents)
    }

    private static func reject(_ fields: RequestFields) throws(AppProtocolError) -> AppRequest {
        let conn = try fields.conn()
        let status = try fields.integer("status", default: 403, in: [400...599], rule: "an HTTP status from 400 to 599")
        let reason = try fields.string("reason", maxBytes: AppProtocol.maxRejectReasonBytes) ?? ""
        return .reject(id: fields.id, conn: conn, status: status, reason: reason)
    }

    private static func close(_ fields: RequestFields) throws(AppProtocolError) -> AppRequest {
        let conn = try fields.conn()
        let code = try fields.integer("code", default: 1000, in: [1000...1000, 3000...4999], rule: "1000 or from 3000 to 4999")
        let reason = try fields.string("reason", maxBytes: AppProtocol.maxCloseReasonBytes) ?? ""
        return .close(id: fields.id, conn: conn, code: code, reason: reason)
    }

    private static func session(_ fields: RequestFields) throws(AppProtocolError) -> String {
        try fields.requiredString("session", maxBytes: AppProtocol.maxSessionIDBytes, nonEmpty: true)
    }

    private static func publish(_ fields: RequestFields) throws(AppProtocolError) -> AppRequest {
        let target = try target(fields)
        let data = try data(fields)
        return .publish(id: fields.id, target: target, data: data, receipt: try fields.bool("receipt") ?? false)
    }

    private static func presence(_ fields: RequestFields) throws(AppProtocolError) -> AppRequest {
        guard try fields.member("users") != nil else {
            throw fields.error(.missingField, "\"users\" is required: the users to look up")
        }
        guard case .users(let users) = try target(fields) else {
            throw fields.error(.badField, "\"users\" must be an array of user ids")
        }
        return .presence(id: fields.id, users: users)
    }

    /// At most 40 characters of an app-supplied string, quoted, for an error message.
    static func excerpt(_ text: String) -> String {
        text.count <= 40 ? JSONText.quoted(text) : JSONText.quoted(String(text.prefix(40))) + "..."
    }
}
