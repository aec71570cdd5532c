import NIOCore
import WSBridgeJSON

/// The top-level members of one request object, with typed readers. ``AppEventParser`` reads events
/// (and the objects nested in them, such as `limits`) with the same readers, under the same rules.
///
/// Every reader turns a violation into an ``AppProtocolError`` that carries the request's id: an
/// absent required field is ``AppProtocolError/Code/missingField``; a wrong JSON type, a value out of
/// range, or a field the parser reads appearing twice is ``AppProtocolError/Code/badField`` (JSON
/// parsers disagree about which copy of a duplicate wins, so none is picked). Members no reader asks
/// for are ignored, which is what lets a newer app talk to an older daemon.
///
/// Only valid while `bytes` (the frame's readable bytes) is.
struct RequestFields {
    /// The frame's readable bytes, which the member ranges index.
    let bytes: UnsafeRawBufferPointer
    /// The frame itself, for zero-copy slices of raw values.
    let frame: ByteBuffer
    /// The object's members in document order, as the scanner returned them.
    let members: [JSONMember]
    /// The request's id, once read; attached to every error after that.
    var id: RequestID?

    /// An error of `code` for this request.
    func error(_ code: AppProtocolError.Code, _ message: String) -> AppProtocolError {
        AppProtocolError(code: code, message: message, id: id)
    }

    /// The member `name`, or nil when absent. Throws when it appears more than once.
    func member(_ name: String) throws(AppProtocolError) -> JSONMember? {
        var found: JSONMember?
        for member in members where member.key == name {
            guard found == nil else {
                throw error(.badField, "\"\(name)\" appears more than once")
            }
            found = member
        }
        return found
    }

    /// The member `name`; throws ``AppProtocolError/Code/missingField`` when absent.
    func required(_ name: String) throws(AppProtocolError) -> JSONMember {
        guard let member = try member(name) else {
            throw error(.missingField, "\"\(name)\" is required")
        }
        return member
    }

    // MARK: Strings

    /// The optional string member `name`, unescaped, at most `maxBytes` UTF-8 bytes (and not empty if
    /// `nonEmpty`).
    func string(_ name: String, maxBytes: Int, nonEmpty: Bool = false) throws(AppProtocolError) -> String? {
        guard let member = try member(name) else { return nil }
        guard member.kind == .string else {
            throw error(.badField, "\"\(name)\" must be a string")
        }
        return try decodeString(member.value, name: name, maxBytes: maxBytes, nonEmpty: nonEmpty)
    }

    /// The required string member `name`, under the same rules as ``string(_:maxBytes:nonEmpty:)``.
    func requiredString(_ name: String, maxBytes: Int, nonEmpty: Bool = false) throws(AppProtocolError) -> String {
        guard let value = try string(name, maxBytes: maxBytes, nonEmpty: nonEmpty) else {
            throw error(.missingField, "\"\(name)\" is required")
        }
        return value
    }

    /// The JSON string whose raw text is `range`, unescaped and checked against the limits.
    func decodeString(
        _ range: Range<Int>,
        name: @autoclosure () -> String,
        maxBytes: Int,
        nonEmpty: Bool
    ) throws(AppProtocolError) -> String {
        // Unescaping shrinks text at most sixfold (`\u0041` -> `A`): refuse hopeless strings unread.
        guard (range.count - 2 + 5) / 6 <= maxBytes else {
            throw error(.badField, "\"\(name())\" is longer than \(maxBytes) bytes")
        }
        let value: String
        do {
            value = try JSONScanner.decodeString(bytes, range)
        } catch {
            throw self.error(.badField, "\"\(name())\": \(error.reason)")
        }
        guard value.utf8.count <= maxBytes else {
            throw error(.badField, "\"\(name())\" is longer than \(maxBytes) bytes")
        }
        guard !nonEmpty || !value.isEmpty else {
            throw error(.badField, "\"\(name())\" must not be empty")
        }
        return value
    }

    /// The connection id `conn`: a required non-empty string.
    func conn() throws(AppProtocolError) -> String {
        try requiredString("conn", maxBytes: AppProtocol.maxConnIDBytes, nonEmpty: true)
    }

    // MARK: User ids

    /// The required user id `name`: a non-empty string, or an integer taken as its decimal text.
    func userID(_ name: String) throws(AppProtocolError) -> String {
        let member = try required(name)
        return try userID(member.value, member.kind, name: name)
    }

    /// A user id whose raw text is `range`: a non-empty string (unescaped) or an integer (its decimal
    /// text, so `42` and `"42"` name the same user), at most ``AppProtocol/maxUserIDBytes`` bytes.
    func userID(
        _ range: Range<Int>,
        _ kind: JSONValueKind,
        name: @autoclosure () -> String
    ) throws(AppProtocolError) -> String {
        let maxBytes = AppProtocol.maxUserIDBytes
        switch kind {
        case .string:
            return try decodeString(range, name: name(), maxBytes: maxBytes, nonEmpty: true)
        case .number:
            let text: String
            do {
                text = try JSONScanner.integerText(bytes, range)
            } catch {
                throw self.error(.badField, "\"\(name())\" must be a string or an integer, not a fraction")
            }
            guard text.utf8.count <= maxBytes else {
                throw error(.badField, "\"\(name())\" is longer than \(maxBytes) bytes")
            }
            return text
        default:
            throw error(.badField, "\"\(name())\" must be a string or an integer")
        }
    }

    // MARK: Numbers and booleans

    /// The optional integer member `name`; a fraction, an exponent or a value beyond `Int` is refused.
    func integer(_ name: String) throws(AppProtocolError) -> Int? {
        guard let member = try member(name) else { return nil }
        guard member.kind == .number else {
            throw error(.badField, "\"\(name)\" must be an integer")
        }
        let text: String
        do {
            text = try JSONScanner.integerText(bytes, member.value)
        } catch {
            throw self.error(.badField, "\"\(name)\" must be an integer, without fraction or exponent")
        }
        guard let value = Int(text) else {
            throw error(.badField, "\"\(name)\" is out of range")
        }
        return value
    }

    /// The optional integer member `name`, `defaultValue` when absent, which must lie in `ranges`
    /// (described for the error message by `rule`).
    func integer(
        _ name: String,
        default defaultValue: Int,
        in ranges: [ClosedRange<Int>],
        rule: String
    ) throws(AppProtocolError) -> Int {
        guard let value = try integer(name) else { return defaultValue }
        guard ranges.contains(where: { $0.contains(value) }) else {
            throw error(.badField, "\"\(name)\" must be \(rule), not \(value)")
        }
        return value
    }

    /// The optional boolean member `name`.
    func bool(_ name: String) throws(AppProtocolError) -> Bool? {
        guard let member = try member(name) else { return nil }
        switch member.kind {
        case .true: return true
        case .false: return false
        default: throw error(.badField, "\"\(name)\" must be true or false")
        }
    }

    // MARK: Arrays

    /// The elements of the array member `member`, which must be an array.
    func elements(of member: JSONMember) throws(AppProtocolError) -> [JSONElement] {
        guard member.kind == .array else {
            throw error(.badField, "\"\(member.key)\" must be an array")
        }
        do {
            return try JSONScanner.scanArray(bytes, member.value, maxDepth: AppProtocol.maxDepth)
        } catch {
            throw self.error(.badField, "\"\(member.key)\": \(error.reason)")
        }
    }

    /// A zero-copy slice of the frame for `range` of its readable bytes (a copy should slicing fail,
    /// which it cannot for ranges the scanner returned).
    func slice(_ range: Range<Int>) -> ByteBuffer {
        if let slice = frame.getSlice(at: frame.readerIndex + range.lowerBound, length: range.count) {
            return slice
        }
        return ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: bytes[range]))
    }
}
