import NIOCore
import WSBridgeJSON

/// Reads one frame's JSON bytes (as ``AppFrameDecoder`` produces them) into an ``AppEvent``: the app
/// side of the protocol, mirror image of ``AppEventEncoder``.
///
/// The frame is scanned once by ``JSONScanner`` (strict RFC 8259, UTF-8 validated). Members this side
/// does not know are ignored, as `docs/protocol.md` ("Versioning") asks, so a newer daemon can add
/// event fields; an event type this side does not know is reported as
/// ``AppProtocolError/Code/unknownType`` (``AppEventParseError/isUnknownType``) for the caller to
/// skip. The members an event does carry are checked like a request's: present when the protocol
/// says the daemon always sends them (`missing_field`), of the right JSON type and not twice
/// (`bad_field`).
///
/// Mirror-image rules, so every event ``AppEventEncoder`` writes parses back to an equal value:
/// - `id`, `user`: as in requests (a string or an integer; a user id that is an integer becomes its
///   decimal text).
/// - `data` with `"binary": true` is base64, decoded into the payload's bytes; any other string is
///   its unescaped text. (Tolerated although the daemon never sends it: a non-string `data` is taken
///   as its raw JSON text.)
/// - `headers` of `connect` come back in the order written, names and values as they stand.
/// - `welcome` must announce protocol ``AppProtocol/version``; `status` must carry an object, kept as
///   its raw text.
///
/// Payloads without escapes are slices of the frame, not copies. The parser never traps.
public enum AppEventParser {
    /// Parses the readable bytes of one frame.
    public static func parse(_ frame: ByteBuffer) -> Result<AppEvent, AppEventParseError> {
        frame.withUnsafeReadableBytes { bytes in
            var type: String?
            do throws(AppProtocolError) {
                let members = try scan(bytes)
                var fields = RequestFields(bytes: bytes, frame: frame, members: members, id: nil)
                guard let member = try fields.member("type"), member.kind == .string else {
                    throw fields.error(.missingType, "the event has no string member \"type\"")
                }
                let name = try fields.decodeString(member.value, name: "type", maxBytes: bytes.count, nonEmpty: false)
                type = name
                fields.id = try AppRequestParser.requestID(fields)
                return .success(try event(name, fields))
            } catch {
                return .failure(AppEventParseError(code: error.code, message: error.message, type: type))
            }
        }
    }

    /// The frame's top-level members, or the error for a frame that is not a JSON object.
    private static func scan(_ bytes: UnsafeRawBufferPointer) throws(AppProtocolError) -> [JSONMember] {
        do {
            return try JSONScanner.scanObject(bytes, maxDepth: AppProtocol.maxDepth)
        } catch {
            throw AppRequestParser.classify(error, bytes)
        }
    }

    private static func event(_ type: String, _ fields: RequestFields) throws(AppProtocolError) -> AppEvent {
        switch type {
        case "welcome": return try welcome(fields)
        case "connect": return try connect(fields)
        case "message":
            let (payload, isBinary) = try data(fields)
            return .message(conn: try text("conn", fields), user: try fields.userID("user"), payload: payload, isBinary: isBinary)
        case "closed":
            return .closed(
                conn: try text("conn", fields),
                user: try fields.userID("user"),
                code: try fields.integer("code"),
                reason: try text("reason", fields)
            )
        case "deliver":
            let (payload, isBinary) = try data(fields)
            return .deliver(
                session: try text("session", fields), user: try fields.userID("user"), payload: payload, isBinary: isBinary,
                pos: try optionalText("pos", fields))
        case "ok":
            var receipt: AppReceipt?
            if try fields.member("receipt") != nil {
                receipt = try self.receipt(try nested("receipt", fields))
            }
            return .ok(
                id: fields.id, pos: try optionalText("pos", fields), positions: try optionalText("positions", fields),
                receipt: receipt)
        case "presence":
            return .presence(id: fields.id, users: try presenceObject(try nested("users", fields)))
        case "online", "offline":
            return .presenceChanged(AppPresenceEvent(online: type == "online", user: try fields.userID("user")))
        case "gap":
            let missed = try fields.integer("missed")
            return .gap(
                AppGap(
                    session: try optionalText("session", fields), user: try optionalText("user", fields),
                    stream: try text("stream", fields), reason: try text("reason", fields),
                    after: try optionalText("after", fields), missed: missed.map { UInt64(max(0, $0)) },
                    pos: try optionalText("pos", fields)))
        case "pong": return .pong(id: fields.id)
        case "error":
            let code = try text("code", fields)
            return .error(id: fields.id, code: AppProtocolError.Code(rawValue: code), message: try text("message", fields))
        case "shutdown":
            guard let drain = try fields.integer("drain_ms") else {
                throw fields.error(.missingField, "\"drain_ms\" is required")
            }
            return .shutdown(drainMilliseconds: drain)
        case "status":
            let body = try fields.required("status")
            guard body.kind == .object else {
                throw fields.error(.badField, "\"status\" must be an object")
            }
            return .status(id: fields.id, body: fields.slice(body.value))
        default:
            throw fields.error(.unknownType, "unknown event type \(AppRequestParser.excerpt(type)) in protocol \(AppProtocol.version)")
        }
    }

    // MARK: Event types

    private static func welcome(_ fields: RequestFields) throws(AppProtocolError) -> AppEvent {
        guard let version = try fields.integer("protocol") else {
            throw fields.error(.missingField, "\"protocol\" is required")
        }
        guard version == AppProtocol.version else {
            throw fields.error(.badField, "\"protocol\" is \(version); this side speaks protocol \(AppProtocol.version)")
        }
        let node = try text("node", fields)
        let daemonVersion = try text("version", fields)
        let limits = try nested("limits", fields)
        func limit(_ name: String) throws(AppProtocolError) -> Int {
            guard let value = try limits.integer(name) else {
                throw limits.error(.missingField, "\"limits.\(name)\" is required")
            }
            return value
        }
        // A daemon of 0.1 sends only the older name, max_queue_bytes.
        let queueBytes: Int
        if let named = try limits.integer("app_max_queue_bytes") {
            queueBytes = named
        } else {
            queueBytes = try limit("max_queue_bytes")
        }
        return .welcome(
            id: fields.id,
            node: node,
            version: daemonVersion,
            limits: AppLimits(
                maxFrameBytes: try limit("max_frame_bytes"),
                maxQueueBytes: queueBytes,
                connectTimeoutMilliseconds: try limit("connect_timeout_ms")
            )
        )
    }

    private static func connect(_ fields: RequestFields) throws(AppProtocolError) -> AppEvent {
        let conn = try text("conn", fields)
        let path = try text("path", fields)
        let query = try text("query", fields)
        let object = try nested("headers", fields)
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(object.members.count)
        for member in object.members {
            guard member.kind == .string else {
                throw fields.error(.badField, "\"headers\" values must be strings")
            }
            let value = try object.decodeString(member.value, name: "headers", maxBytes: object.bytes.count, nonEmpty: false)
            headers.append((name: member.key, value: value))
        }
        let remote = try text("remote", fields)
        var user: String?
        if let member = try fields.member("user") {
            user = try fields.userID(member.value, member.kind, name: "user")
        }
        return .connect(conn: conn, path: path, query: query, headers: headers, remote: remote, user: user)
    }

    /// `{"<user>":{"sessions":N,"hosts":M},…}`, in document order.
    private static func presenceObject(_ object: RequestFields) throws(AppProtocolError) -> [AppPresence] {
        var users: [AppPresence] = []
        users.reserveCapacity(object.members.count)
        for member in object.members {
            let entry = try nested(member.key, object)
            users.append(
                AppPresence(user: member.key, sessions: try count("sessions", entry), hosts: try count("hosts", entry)))
        }
        return users
    }

    private static func receipt(_ fields: RequestFields) throws(AppProtocolError) -> AppReceipt {
        var offline: [String] = []
        if let member = try fields.member("offline") {
            for (position, element) in try fields.elements(of: member).enumerated() {
                offline.append(try fields.userID(element.value, element.kind, name: "offline[\(position)]"))
            }
        }
        let users = try fields.member("users") != nil ? try presenceObject(try nested("users", fields)) : []
        return AppReceipt(
            sessions: try count("sessions", fields), hosts: try count("hosts", fields),
            unknownHosts: try fields.integer("unknown_hosts") ?? 0, users: users, offline: offline)
    }

    private static func count(_ name: String, _ fields: RequestFields) throws(AppProtocolError) -> Int {
        guard let value = try fields.integer(name) else {
            throw fields.error(.missingField, "\"\(name)\" is required")
        }
        return value
    }

    // MARK: Members

    /// The required string member `name`, of any length the frame holds.
    private static func optionalText(_ name: String, _ fields: RequestFields) throws(AppProtocolError) -> String? {
        try fields.string(name, maxBytes: fields.bytes.count)
    }

    private static func text(_ name: String, _ fields: RequestFields) throws(AppProtocolError) -> String {
        try fields.requiredString(name, maxBytes: fields.bytes.count)
    }

    /// `data` and `binary`, as the payload's bytes and whether they are binary.
    private static func data(_ fields: RequestFields) throws(AppProtocolError) -> (ByteBuffer, Bool) {
        let data = try AppRequestParser.data(fields)
        return (data.payload, data.isBinary)
    }

    /// The members of the required object member `name`, readable like the frame's own.
    private static func nested(_ name: String, _ fields: RequestFields) throws(AppProtocolError) -> RequestFields {
        let member = try fields.required(name)
        guard member.kind == .object else {
            throw fields.error(.badField, "\"\(name)\" must be an object")
        }
        let bytes = UnsafeRawBufferPointer(rebasing: fields.bytes[member.value])
        let members: [JSONMember]
        do {
            members = try JSONScanner.scanObject(bytes, maxDepth: AppProtocol.maxDepth)
        } catch {
            throw fields.error(.badField, "\"\(name)\": \(error.reason)")
        }
        return RequestFields(bytes: bytes, frame: fields.slice(member.value), members: members, id: fields.id)
    }
}
