import NIOCore

/// The kind of a JSON value, read off its first byte.
public enum JSONValueKind: Sendable, Equatable {
    case string, number, object, array, `true`, `false`, null
}

/// One member of a scanned JSON object: its decoded name and where its value's raw text lies.
public struct JSONMember: Sendable, Equatable {
    /// The member name, unescaped.
    public var key: String
    /// The byte range of the raw value text, relative to the scanned bytes. For a string it includes
    /// both quotes; for an object or array it runs from the opening to the closing bracket.
    public var value: Range<Int>
    /// What kind of value the text is.
    public var kind: JSONValueKind

    public init(key: String, value: Range<Int>, kind: JSONValueKind) {
        self.key = key
        self.value = value
        self.kind = kind
    }
}

/// One element of a scanned JSON array (see ``JSONScanner/scanArray(_:_:maxDepth:)``).
public struct JSONElement: Sendable, Equatable {
    /// The byte range of the raw value text, as for ``JSONMember/value``.
    public var value: Range<Int>
    /// What kind of value the text is.
    public var kind: JSONValueKind

    public init(value: Range<Int>, kind: JSONValueKind) {
        self.value = value
        self.kind = kind
    }
}

/// Why a byte sequence was refused by ``JSONScanner``.
public struct JSONScanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broad class of the failure, for callers that map it to their own error codes.
    public enum Code: Sendable, Equatable {
        /// The bytes are not valid JSON (RFC 8259), or not valid UTF-8 inside a string.
        case invalidJSON
        /// The bytes are one valid JSON value, but not the object that was asked for.
        case notAnObject
        /// The bytes nest objects and arrays deeper than the allowed depth.
        case tooDeep
    }

    /// The byte offset where the problem was found, relative to the start of the scanned bytes.
    public var offset: Int
    /// A short human-readable reason, for logs.
    public var reason: String
    /// The broad class of the failure.
    public var code: Code

    public init(offset: Int, reason: String, code: Code = .invalidJSON) {
        self.offset = offset
        self.reason = reason
        self.code = code
    }

    public var description: String {
        "JSON error at byte \(offset): \(reason)"
    }
}

/// A validating, non-materializing JSON scanner for the hot path.
///
/// ``scanObject(_:maxDepth:)`` checks in a single pass that the bytes are
/// exactly one JSON object per RFC 8259 — strictly: no trailing commas, no comments, no leading zeros,
/// no raw control characters in strings, only the escapes the RFC defines (with `\u` surrogates
/// properly paired) and only well-formed UTF-8 (no overlong forms, no encoded surrogates, nothing above
/// U+10FFFF), with optional whitespace around the object. It returns the object's top-level members as
/// names plus byte ranges, so a caller reads only the values it needs and can forward the others as
/// raw slices. Nested values are validated but never built.
///
/// Member names are returned as written, in order, duplicates included (RFC 8259 leaves duplicate
/// names to the application).
///
/// No allocation happens per byte: the only allocations are the members array, member names longer
/// than the small-string size, and a nesting stack when the depth exceeds 64.
public enum JSONScanner {
    /// The default nesting limit: the top-level object counts as depth 1.
    public static let defaultMaxDepth = 64

    /// Scans `bytes`, which must be exactly one JSON object (with optional surrounding whitespace).
    ///
    /// - Parameters:
    ///   - bytes: the whole document.
    ///   - maxDepth: the deepest nesting of objects and arrays allowed; the top-level object is depth 1.
    /// - Returns: the top-level members in document order.
    /// - Throws: ``JSONScanError`` with code `.notAnObject` when the bytes are a valid JSON value of
    ///   another kind, `.tooDeep` when nesting exceeds `maxDepth`, `.invalidJSON` otherwise.
    public static func scanObject(
        _ bytes: UnsafeRawBufferPointer,
        maxDepth: Int = defaultMaxDepth
    ) throws(JSONScanError) -> [JSONMember] {
        var cursor = JSONCursor(bytes: bytes, start: 0, end: bytes.count, maxDepth: maxDepth)
        return try cursor.scanDocumentObject()
    }

    /// Scans the readable bytes of `buffer`; returned ranges are relative to its `readerIndex`.
    public static func scanObject(
        _ buffer: ByteBuffer,
        maxDepth: Int = defaultMaxDepth
    ) throws(JSONScanError) -> [JSONMember] {
        let result = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONScanError) in try scanObject(bytes, maxDepth: maxDepth) }
        }
        return try result.get()
    }

    /// Scans the array whose raw text is `range` of `bytes` (typically a member value of kind
    /// `.array` returned by ``scanObject(_:maxDepth:)``) and returns its
    /// elements. The array is validated again, so any range is safe to pass.
    ///
    /// - Parameter maxDepth: nesting allowed inside the range; the array itself is depth 1.
    public static func scanArray(
        _ bytes: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        maxDepth: Int = defaultMaxDepth
    ) throws(JSONScanError) -> [JSONElement] {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
            throw JSONScanError(offset: range.lowerBound, reason: "range outside the scanned bytes")
        }
        var cursor = JSONCursor(bytes: bytes, start: range.lowerBound, end: range.upperBound, maxDepth: maxDepth)
        return try cursor.scanExactArray()
    }

    /// Returns the decimal text of the JSON number whose raw text is `range`, if it is an integer.
    ///
    /// Used for numeric user ids, so that `42` and `"42"` name the same user. The text is returned as
    /// written: JSON forbids leading zeros and `+`, so it is canonical except that `-0` stays `-0`.
    /// - Throws: ``JSONScanError`` if the number has a fraction or an exponent, or is not a number.
    public static func integerText(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(JSONScanError) -> String {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count, !range.isEmpty else {
            throw JSONScanError(offset: range.lowerBound, reason: "not an integer")
        }
        var index = range.lowerBound
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let firstDigit = index
        while index < range.upperBound, JSONCursor.isDigit(bytes[index]) { index += 1 }
        guard index == range.upperBound, index > firstDigit else {
            throw JSONScanError(offset: index, reason: "not an integer (no fraction or exponent allowed)")
        }
        guard bytes[firstDigit] != UInt8(ascii: "0") || index == firstDigit + 1 else {
            throw JSONScanError(offset: firstDigit, reason: "leading zeros are not allowed")
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}

/// The scanning state: a position inside `bytes[start..<end]`.
struct JSONCursor {
    let bytes: UnsafeRawBufferPointer
    let end: Int
    let maxDepth: Int
    var index: Int

    init(bytes: UnsafeRawBufferPointer, start: Int, end: Int, maxDepth: Int) {
        self.bytes = bytes
        self.index = start
        self.end = end
        self.maxDepth = maxDepth
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    @inline(__always)
    func error(_ reason: String, at offset: Int? = nil) -> JSONScanError {
        JSONScanError(offset: offset ?? index, reason: reason)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Scans the whole range as one object (whitespace around allowed) and returns its members.
    mutating func scanDocumentObject() throws(JSONScanError) -> [JSONMember] {
        skipWhitespace()
        guard index < end else {
            throw error(end == 0 ? "empty input" : "no JSON value, only whitespace")
        }
        guard bytes[index] == UInt8(ascii: "{") else {
            // Validate the value anyway, to tell "valid JSON, not an object" from garbage.
            let start = index
            _ = try skipValue(depth: 0)
            skipWhitespace()
            guard index == end else { throw error("unexpected data after the JSON value") }
            throw JSONScanError(offset: start, reason: "the JSON value is not an object", code: .notAnObject)
        }
        guard maxDepth >= 1 else { throw tooDeep() }
        index += 1
        var members: [JSONMember] = []
        // One allocation for the usual envelope (a handful of members) instead of growing 1, 2, 4, 8.
        members.reserveCapacity(8)
        skipWhitespace()
        if index < end, bytes[index] == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                guard index < end, bytes[index] == UInt8(ascii: "\"") else {
                    throw error(index < end ? "expected a member name (a string)" : "unterminated object")
                }
                let keyStart = index
                let hasEscapes = try scanString()
                let keyRange = keyStart..<index
                let key =
                    hasEscapes
                    ? try JSONScanner.decodeString(bytes, keyRange)
                    : String(decoding: UnsafeRawBufferPointer(rebasing: bytes[keyStart + 1..<index - 1]), as: UTF8.self)
                try scanColon()
                let valueStart = index
                let kind = try skipValue(depth: 1)
                members.append(JSONMember(key: key, value: valueStart..<index, kind: kind))
                skipWhitespace()
                guard index < end else { throw error("unterminated object") }
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: ",") {
                    skipWhitespace()
                } else if byte == UInt8(ascii: "}") {
                    break
                } else {
                    throw error("expected ',' or '}' after a member value", at: index - 1)
                }
            }
        }
        skipWhitespace()
        guard index == end else { throw error("unexpected data after the JSON object") }
        return members
    }

    /// Scans the range as exactly one array, with no surrounding whitespace, and returns its elements.
    mutating func scanExactArray() throws(JSONScanError) -> [JSONElement] {
        guard index < end, bytes[index] == UInt8(ascii: "[") else { throw error("expected an array") }
        guard maxDepth >= 1 else { throw tooDeep() }
        index += 1
        var elements: [JSONElement] = []
        elements.reserveCapacity(8)
        skipWhitespace()
        if index < end, bytes[index] == UInt8(ascii: "]") {
            index += 1
        } else {
            while true {
                let valueStart = index
                let kind = try skipValue(depth: 1)
                elements.append(JSONElement(value: valueStart..<index, kind: kind))
                skipWhitespace()
                guard index < end else { throw error("unterminated array") }
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: ",") {
                    skipWhitespace()
                } else if byte == UInt8(ascii: "]") {
                    break
                } else {
                    throw error("expected ',' or ']' after an array element", at: index - 1)
                }
            }
        }
        guard index == end else { throw error("unexpected data after the array") }
        return elements
    }

    func tooDeep() -> JSONScanError {
        JSONScanError(offset: index, reason: "nesting deeper than \(maxDepth) levels", code: .tooDeep)
    }

    /// After a member name: optional whitespace, `:`, optional whitespace.
    @inline(__always)
    mutating func scanColon() throws(JSONScanError) {
        skipWhitespace()
        guard index < end, bytes[index] == UInt8(ascii: ":") else {
            throw error("expected ':' after a member name")
        }
        index += 1
        skipWhitespace()
    }

    /// Scans a member name and its colon inside a nested object (the name is not kept).
    @inline(__always)
    mutating func scanMemberName() throws(JSONScanError) {
        guard index < end, bytes[index] == UInt8(ascii: "\"") else {
            throw error(index < end ? "expected a member name (a string)" : "unterminated object")
        }
        _ = try scanString()
        try scanColon()
    }

    /// Skips one value starting at `index`, validating it, and returns its kind.
    ///
    /// - Parameter depth: the depth of the container holding the value (0 at top level).
    mutating func skipValue(depth: Int) throws(JSONScanError) -> JSONValueKind {
        guard index < end else { throw error("expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            try skipContainer(depth: depth)
            return .object
        case UInt8(ascii: "["):
            try skipContainer(depth: depth)
            return .array
        default:
            return try scanScalar()
        }
    }

    /// Scans a string, number or literal at `index`.
    @inline(__always)
    mutating func scanScalar() throws(JSONScanError) -> JSONValueKind {
        guard index < end else { throw error("expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            _ = try scanString()
            return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try scanNumber()
            return .number
        case UInt8(ascii: "t"):
            try scanLiteral("true")
            return .true
        case UInt8(ascii: "f"):
            try scanLiteral("false")
            return .false
        case UInt8(ascii: "n"):
            try scanLiteral("null")
            return .null
        default:
            throw error("expected a value")
        }
    }

    @inline(__always)
    mutating func scanLiteral(_ literal: StaticString) throws(JSONScanError) {
        let count = literal.utf8CodeUnitCount
        guard end - index >= count else { throw error("invalid literal") }
        let base = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != base[offset] {
            throw error("invalid literal")
        }
        index += count
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func scanNumber() throws(JSONScanError) {
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end, Self.isDigit(bytes[index]) else { throw error("expected a digit") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < end, Self.isDigit(bytes[index]) { throw error("leading zeros are not allowed") }
        } else {
            skipDigits()
        }
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end, Self.isDigit(bytes[index]) else { throw error("expected a digit after '.'") }
            skipDigits()
        }
        if index < end, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < end, Self.isDigit(bytes[index]) else { throw error("expected a digit in the exponent") }
            skipDigits()
        }
    }

    @inline(__always)
    mutating func skipDigits() {
        while index < end, Self.isDigit(bytes[index]) { index += 1 }
    }

    /// Skips a nested object or array at `index` without recursion.
    mutating func skipContainer(depth baseDepth: Int) throws(JSONScanError) {
        enum State { case open, value, afterValue }
        var stack = ContainerStack()
        var state = State.open
        while true {
            switch state {
            case .open:
                guard baseDepth + stack.count < maxDepth else { throw tooDeep() }
                let isObject = bytes[index] == UInt8(ascii: "{")
                stack.push(isObject: isObject)
                index += 1
                skipWhitespace()
                guard index < end else { throw error(isObject ? "unterminated object" : "unterminated array") }
                if bytes[index] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    stack.pop()
                    state = .afterValue
                } else {
                    if isObject { try scanMemberName() }
                    state = .value
                }
            case .value:
                guard index < end else { throw error("expected a value") }
                let byte = bytes[index]
                if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    state = .open
                } else {
                    _ = try scanScalar()
                    state = .afterValue
                }
            case .afterValue:
                guard stack.count > 0 else { return }
                let isObject = stack.topIsObject
                skipWhitespace()
                guard index < end else { throw error(isObject ? "unterminated object" : "unterminated array") }
                let byte = bytes[index]
                if byte == UInt8(ascii: ",") {
                    index += 1
                    skipWhitespace()
                    if isObject { try scanMemberName() }
                    state = .value
                } else if byte == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    stack.pop()
                } else {
                    throw error(isObject ? "expected ',' or '}' after a member value" : "expected ',' or ']' after an array element")
                }
            }
        }
    }
}

/// The open containers of ``JSONCursor/skipContainer(depth:)``, one bit each (1 = object).
/// The first 64 levels live inline, so the usual case allocates nothing.
struct ContainerStack {
    private var inline: UInt64 = 0
    private var spill: [UInt64] = []
    private(set) var count = 0

    mutating func push(isObject: Bool) {
        let word = count >> 6
        let mask: UInt64 = 1 << UInt64(count & 63)
        if word == 0 {
            inline = isObject ? inline | mask : inline & ~mask
        } else {
            while spill.count < word { spill.append(0) }
            spill[word - 1] = isObject ? spill[word - 1] | mask : spill[word - 1] & ~mask
        }
        count += 1
    }

    mutating func pop() {
        count -= 1
    }

    var topIsObject: Bool {
        let top = count - 1
        let word = top >> 6
        let bits = word == 0 ? inline : spill[word - 1]
        return bits & (1 << UInt64(top & 63)) != 0
    }
}
