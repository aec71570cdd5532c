import WSBridgeJSON
import NIOCore

/// Turns one message from the broker channel into an ``Envelope``: who it is for and the exact bytes
/// they receive.
///
/// The message is scanned once by ``JSONScanner``, without building a JSON tree; only the target
/// members are decoded. The payload is a zero-copy slice of the message whenever the bytes to send
/// appear in it as they are (raw JSON `data`, a string `data` without escapes, a whole compatibility
/// message); only an escaped string or base64 data gets a new buffer.
///
/// Rules (native envelope):
/// - exactly one of `user` (a non-empty string, or an integer taken as its decimal text), `users`
///   (a non-empty array of such; duplicates dropped, order kept) and `all` (must be `true`);
/// - `data` is required: a string is sent as its unescaped UTF-8 text, any other value as its raw JSON
///   text exactly as it appears in the message;
/// - `"binary": true` makes `data` a base64 string (standard alphabet, padding optional) whose decoded
///   bytes are sent as a binary frame;
/// - other members are ignored; a member the parser reads (`user`, `users`, `all`, `data`, `binary`)
///   must not appear twice, since JSON parsers disagree about which copy wins.
///
/// Durable messages carry their positions as a member `wsb` (`"E-O"`, or `"E-O,E-O"` for `users`, one
/// per deduplicated user): the parser reads them into ``Envelope/positions``; a seed-compatible message
/// is delivered without that member, as it was published.
///
/// Seed compatibility: with ``compatUserField`` set (for example `userId`), a message with none of
/// `user`, `users`, `all` but with that member (a string or an integer) goes, whole and byte for byte
/// unchanged, to that user as text.
public struct EnvelopeParser: Sendable {
    /// The member that names the user of a seed-style message, or nil to accept native envelopes only.
    public var compatUserField: String?
    /// The most entries a `users` array may have (counted before duplicates are dropped).
    public var maxUsersPerMessage: Int
    /// The longest user id accepted, in UTF-8 bytes after unescaping.
    public var maxUserIDBytes: Int
    /// The deepest JSON nesting accepted in a message; the message object itself is depth 1.
    public var maxDepth: Int

    public init(
        compatUserField: String? = nil,
        maxUsersPerMessage: Int = 10_000,
        maxUserIDBytes: Int = 256,
        maxDepth: Int = JSONScanner.defaultMaxDepth
    ) {
        self.compatUserField = compatUserField
        self.maxUsersPerMessage = maxUsersPerMessage
        self.maxUserIDBytes = maxUserIDBytes
        self.maxDepth = maxDepth
    }

    /// Parses the readable bytes of one broker message. Never traps, whatever the bytes.
    public func parse(_ message: ByteBuffer) -> Result<Envelope, EnvelopeError> {
        message.withUnsafeReadableBytes { bytes in
            do throws(EnvelopeError) {
                return .success(try parse(bytes, message: message))
            } catch {
                return .failure(error)
            }
        }
    }

    /// The members the parser reads, each with how often it appeared.
    private struct Fields {
        var user = Slot()
        var users = Slot()
        var all = Slot()
        var data = Slot()
        var binary = Slot()
        var compat = Slot()
        var positions = Slot()
        var receipt = Slot()

        struct Slot {
            var member: JSONMember?
            var count = 0

            mutating func record(_ member: JSONMember) {
                if count == 0 { self.member = member }
                count += 1
            }
        }
    }

    private func parse(_ bytes: UnsafeRawBufferPointer, message: ByteBuffer) throws(EnvelopeError) -> Envelope {
        let members: [JSONMember]
        do {
            members = try JSONScanner.scanObject(bytes, maxDepth: maxDepth)
        } catch {
            switch error.code {
            case .invalidJSON: throw EnvelopeError(code: .invalidJSON, detail: error.description)
            case .notAnObject: throw EnvelopeError(code: .notAnObject, detail: "the message is JSON but not an object")
            case .tooDeep: throw EnvelopeError(code: .tooLarge, detail: error.description)
            }
        }

        var fields = Fields()
        for member in members {
            switch member.key {
            case "user": fields.user.record(member)
            case "users": fields.users.record(member)
            case "all": fields.all.record(member)
            case "data": fields.data.record(member)
            case "binary": fields.binary.record(member)
            case "wsb": fields.positions.record(member)
            case "wsr": fields.receipt.record(member)
            default: break
            }
            if let compatUserField, member.key == compatUserField { fields.compat.record(member) }
        }

        let targetCount = fields.user.count + fields.users.count + fields.all.count
        guard targetCount <= 1 else {
            throw EnvelopeError(code: .conflictingTargets, detail: "more than one of \"user\", \"users\", \"all\"")
        }
        let target: DeliveryTarget
        if let member = fields.user.member {
            target = .user(try userID(bytes, member.value, member.kind, name: "user"))
        } else if let member = fields.users.member {
            target = try users(bytes, member)
        } else if let member = fields.all.member {
            guard member.kind == .true else {
                throw EnvelopeError(code: .badTarget, detail: "\"all\" must be true")
            }
            target = .all
        } else {
            var envelope = try compatEnvelope(bytes, fields.compat, message: message)
            if fields.positions.member != nil {
                envelope.positions = try self.positions(bytes, fields.positions, count: 1)
                envelope.payload = Self.withoutPositions(message, bytes) ?? envelope.payload
                envelope.data = envelope.payload
            }
            return envelope
        }
        let positions: [StreamPosition]
        if fields.positions.member != nil {
            let count: Int
            switch target {
            case .users(let ids): count = ids.count
            case .user, .all: count = 1
            }
            positions = try self.positions(bytes, fields.positions, count: count)
        } else {
            positions = []
        }

        guard let data = fields.data.member else {
            throw EnvelopeError(code: .missingData, detail: "the message has no \"data\"")
        }
        guard fields.data.count == 1 else {
            throw EnvelopeError(code: .badData, detail: "\"data\" appears more than once")
        }
        var isBinary = false
        if let binary = fields.binary.member {
            guard fields.binary.count == 1 else {
                throw EnvelopeError(code: .badData, detail: "\"binary\" appears more than once")
            }
            switch binary.kind {
            case .true: isBinary = true
            case .false: isBinary = false
            default: throw EnvelopeError(code: .badData, detail: "\"binary\" must be true or false")
            }
        }
        let payload =
            isBinary
            ? try binaryPayload(bytes, data)
            : try textPayload(bytes, data, message: message)
        var envelope = Envelope(
            target: target, payload: payload, isBinary: isBinary, data: Self.slice(message, bytes, data.value),
            positions: positions)
        envelope.receipt = Self.receipt(bytes, fields.receipt)
        return envelope
    }

    /// The `wsr` member (a receipt is asked for), or nil when absent or not one string of the form
    /// ``ReceiptRequest`` reads: a broken request costs the receipt, never the message.
    private static func receipt(_ bytes: UnsafeRawBufferPointer, _ slot: Fields.Slot) -> ReceiptRequest? {
        guard let member = slot.member, slot.count == 1, member.kind == .string,
            let text = try? JSONScanner.decodeString(bytes, member.value)
        else { return nil }
        return ReceiptRequest(text)
    }

    /// The `wsb` member: `count` positions, comma-separated, in a string without escapes.
    private func positions(
        _ bytes: UnsafeRawBufferPointer, _ slot: Fields.Slot, count: Int
    ) throws(EnvelopeError) -> [StreamPosition] {
        guard let member = slot.member, slot.count == 1, member.kind == .string,
            !JSONScanner.stringHasEscapes(bytes, member.value)
        else {
            throw EnvelopeError(code: .badPosition, detail: "\"wsb\" must appear once, as a string of positions")
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[member.value.lowerBound + 1..<member.value.upperBound - 1]), as: UTF8.self)
        var positions: [StreamPosition] = []
        positions.reserveCapacity(count)
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let position = StreamPosition(part) else {
                throw EnvelopeError(code: .badPosition, detail: "\"wsb\": \"\(part.prefix(64))\" is not EPOCH-OFFSET")
            }
            positions.append(position)
        }
        guard positions.count == count else {
            throw EnvelopeError(
                code: .badPosition, detail: "\"wsb\" has \(positions.count) positions for \(count) streams")
        }
        return positions
    }

    /// A durable seed-compatible message without the `wsb` member the broker put first: `{` and the
    /// members after it. Nil when `wsb` is not the first member as written by the brokers.
    private static func withoutPositions(_ message: ByteBuffer, _ bytes: UnsafeRawBufferPointer) -> ByteBuffer? {
        let prefix = Array("{\"wsb\":\"".utf8)
        guard bytes.count > prefix.count, bytes.starts(with: prefix) else { return nil }
        var index = prefix.count
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") { index += 1 }
        guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: ",") else { return nil }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[(index + 2)...])
        var original = ByteBufferAllocator().buffer(capacity: rest.count + 1)
        original.writeInteger(UInt8(ascii: "{"))
        original.writeBytes(rest)
        return original
    }

    /// The seed-compatible form: the whole message, unchanged, to the user in the compatibility field.
    private func compatEnvelope(
        _ bytes: UnsafeRawBufferPointer,
        _ compat: Fields.Slot,
        message: ByteBuffer
    ) throws(EnvelopeError) -> Envelope {
        guard let compatUserField, let member = compat.member else {
            throw EnvelopeError(
                code: .noTarget,
                detail: compatUserField.map { "none of \"user\", \"users\", \"all\", \"\($0)\"" }
                    ?? "none of \"user\", \"users\", \"all\""
            )
        }
        guard compat.count == 1 else {
            throw EnvelopeError(code: .badTarget, detail: "\"\(compatUserField)\" appears more than once")
        }
        let user = try userID(bytes, member.value, member.kind, name: compatUserField)
        return Envelope(target: .user(user), payload: message, isBinary: false)
    }

    /// A `users` array: non-empty, each entry a valid user id, duplicates dropped in order.
    private func users(_ bytes: UnsafeRawBufferPointer, _ member: JSONMember) throws(EnvelopeError) -> DeliveryTarget {
        guard member.kind == .array else {
            throw EnvelopeError(code: .badTarget, detail: "\"users\" must be an array")
        }
        let elements: [JSONElement]
        do {
            elements = try JSONScanner.scanArray(bytes, member.value, maxDepth: maxDepth)
        } catch {
            throw EnvelopeError(code: .badTarget, detail: "\"users\": \(error.description)")
        }
        guard !elements.isEmpty else {
            throw EnvelopeError(code: .badTarget, detail: "\"users\" must not be empty")
        }
        guard elements.count <= maxUsersPerMessage else {
            throw EnvelopeError(
                code: .tooLarge,
                detail: "\"users\" has \(elements.count) entries, more than the limit of \(maxUsersPerMessage)"
            )
        }
        var ids: [String] = []
        ids.reserveCapacity(elements.count)
        // Short lists (the usual case) are deduplicated by a linear search, long ones through a set.
        var seen: Set<String>? = elements.count > 16 ? Set(minimumCapacity: elements.count) : nil
        for (position, element) in elements.enumerated() {
            let id = try userID(bytes, element.value, element.kind, name: "users[\(position)]")
            let isNew = seen?.insert(id).inserted ?? !ids.contains(id)
            if isNew { ids.append(id) }
        }
        return .users(ids)
    }

    /// A user id: a non-empty string (unescaped) or an integer (its decimal text), within the length limit.
    private func userID(
        _ bytes: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        _ kind: JSONValueKind,
        name: @autoclosure () -> String
    ) throws(EnvelopeError) -> String {
        let id: String
        switch kind {
        case .string:
            // Unescaping shrinks text at most sixfold (`\u0041` -> `A`): refuse hopeless ids before decoding.
            guard (range.count - 2 + 5) / 6 <= maxUserIDBytes else {
                throw EnvelopeError(code: .badTarget, detail: "\"\(name())\" is longer than \(maxUserIDBytes) bytes")
            }
            do {
                id = try JSONScanner.decodeString(bytes, range)
            } catch {
                throw EnvelopeError(code: .badTarget, detail: "\"\(name())\": \(error.description)")
            }
            guard !id.isEmpty else {
                throw EnvelopeError(code: .badTarget, detail: "\"\(name())\" must not be empty")
            }
        case .number:
            do {
                id = try JSONScanner.integerText(bytes, range)
            } catch {
                throw EnvelopeError(code: .badTarget, detail: "\"\(name())\" must be an integer or a string")
            }
        default:
            throw EnvelopeError(code: .badTarget, detail: "\"\(name())\" must be a string or an integer")
        }
        guard id.utf8.count <= maxUserIDBytes else {
            throw EnvelopeError(code: .badTarget, detail: "\"\(name())\" is longer than \(maxUserIDBytes) bytes")
        }
        return id
    }

    /// Text data: a string's unescaped bytes, or any other value's raw JSON text.
    private func textPayload(
        _ bytes: UnsafeRawBufferPointer,
        _ data: JSONMember,
        message: ByteBuffer
    ) throws(EnvelopeError) -> ByteBuffer {
        guard data.kind == .string else {
            return Self.slice(message, bytes, data.value)
        }
        let content = data.value.lowerBound + 1..<data.value.upperBound - 1
        guard JSONScanner.stringHasEscapes(bytes, data.value) else {
            return Self.slice(message, bytes, content)
        }
        var payload = ByteBufferAllocator().buffer(capacity: content.count)
        do {
            try JSONScanner.decodeStringBytes(bytes, data.value, into: &payload)
        } catch {
            throw EnvelopeError(code: .badData, detail: "\"data\": \(error.description)")
        }
        return payload
    }

    /// Binary data: the decoded bytes of a base64 string.
    private func binaryPayload(_ bytes: UnsafeRawBufferPointer, _ data: JSONMember) throws(EnvelopeError) -> ByteBuffer {
        guard data.kind == .string else {
            throw EnvelopeError(code: .badData, detail: "binary \"data\" must be a base64 string")
        }
        let content = data.value.lowerBound + 1..<data.value.upperBound - 1
        var payload: ByteBuffer?
        if JSONScanner.stringHasEscapes(bytes, data.value) {
            // Some encoders write "/" as "\/"; decode the JSON string first.
            var text = ByteBufferAllocator().buffer(capacity: content.count)
            do {
                try JSONScanner.decodeStringBytes(bytes, data.value, into: &text)
            } catch {
                throw EnvelopeError(code: .badData, detail: "\"data\": \(error.description)")
            }
            payload = text.withUnsafeReadableBytes { Base64.decode($0) }
        } else {
            payload = Base64.decode(UnsafeRawBufferPointer(rebasing: bytes[content]))
        }
        guard let payload else {
            throw EnvelopeError(code: .badData, detail: "binary \"data\" is not valid base64")
        }
        return payload
    }

    /// A zero-copy slice of the message for `range` of its readable bytes (a copy if slicing fails,
    /// which cannot happen for ranges the scanner returned).
    private static func slice(_ message: ByteBuffer, _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> ByteBuffer {
        if let slice = message.getSlice(at: message.readerIndex + range.lowerBound, length: range.count) {
            return slice
        }
        return ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: bytes[range]))
    }
}
