import NIOCore

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
