import NIOCore
import WSBridgeJSON

// The members `publish` and `send` share with the broker's native envelope: the target and the data.

extension AppRequestParser {
    /// Exactly one of `user` (a user id), `users` (a non-empty array of user ids; duplicates dropped,
    /// order kept) and `all` (which must be `true`).
    static func target(_ fields: RequestFields) throws(AppProtocolError) -> AppTarget {
        let user = try fields.member("user")
        let users = try fields.member("users")
        let all = try fields.member("all")
        let count = [user, users, all].lazy.filter { $0 != nil }.count
        guard count <= 1 else {
            throw fields.error(.badField, "exactly one of \"user\", \"users\", \"all\" is allowed")
        }
        if let user {
            return .user(try fields.userID(user.value, user.kind, name: "user"))
        }
        if let users {
            return try userList(fields, users)
        }
        if let all {
            guard all.kind == .true else {
                throw fields.error(.badField, "\"all\" must be true")
            }
            return .all
        }
        throw fields.error(.missingField, "one of \"user\", \"users\", \"all\" is required")
    }

    private static func userList(_ fields: RequestFields, _ member: JSONMember) throws(AppProtocolError) -> AppTarget {
        let elements = try fields.elements(of: member)
        guard !elements.isEmpty else {
            throw fields.error(.badField, "\"users\" must not be empty")
        }
        guard elements.count <= AppProtocol.maxUsersPerPublish else {
            throw fields.error(
                .badField,
                "\"users\" has \(elements.count) entries, more than the limit of \(AppProtocol.maxUsersPerPublish)"
            )
        }
        var ids: [String] = []
        ids.reserveCapacity(elements.count)
        // Short lists (the usual case) are deduplicated by a linear search, long ones through a set.
        var seen: Set<String>? = elements.count > 16 ? Set(minimumCapacity: elements.count) : nil
        for (position, element) in elements.enumerated() {
            let id = try fields.userID(element.value, element.kind, name: "users[\(position)]")
            let isNew = seen?.insert(id).inserted ?? !ids.contains(id)
            if isNew { ids.append(id) }
        }
        return .users(ids)
    }

    /// `data` (required) and `binary` (optional, `false` when absent).
    ///
    /// Without `binary`, a string is its unescaped text and any other value its raw JSON text; with
    /// `"binary": true`, `data` must be a base64 string (standard alphabet, padding optional; a JSON
    /// escape such as `\/` is undone first).
    static func data(_ fields: RequestFields) throws(AppProtocolError) -> AppData {
        let data = try fields.required("data")
        let isBinary = try fields.bool("binary") ?? false
        if isBinary {
            return .binary(try binaryPayload(fields, data))
        }
        guard data.kind == .string else {
            return .json(fields.slice(data.value))
        }
        let content = data.value.lowerBound + 1..<data.value.upperBound - 1
        guard JSONScanner.stringHasEscapes(fields.bytes, data.value) else {
            return .text(fields.slice(content))
        }
        var text = ByteBufferAllocator().buffer(capacity: content.count)
        do {
            try JSONScanner.decodeStringBytes(fields.bytes, data.value, into: &text)
        } catch {
            throw fields.error(.badField, "\"data\": \(error.reason)")
        }
        return .text(text)
    }

    private static func binaryPayload(_ fields: RequestFields, _ data: JSONMember) throws(AppProtocolError) -> ByteBuffer {
        guard data.kind == .string else {
            throw fields.error(.badField, "\"data\" must be a base64 string when \"binary\" is true")
        }
        let content = data.value.lowerBound + 1..<data.value.upperBound - 1
        let decoded: ByteBuffer?
        if JSONScanner.stringHasEscapes(fields.bytes, data.value) {
            var text = ByteBufferAllocator().buffer(capacity: content.count)
            do {
                try JSONScanner.decodeStringBytes(fields.bytes, data.value, into: &text)
            } catch {
                throw fields.error(.badField, "\"data\": \(error.reason)")
            }
            decoded = text.withUnsafeReadableBytes { Base64.decode($0) }
        } else {
            decoded = Base64.decode(UnsafeRawBufferPointer(rebasing: fields.bytes[content]))
        }
        guard let decoded else {
            throw fields.error(.badField, "\"data\" is not valid base64")
        }
        return decoded
    }
}
