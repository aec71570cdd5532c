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
