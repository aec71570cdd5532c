import WSBridgeJSON

/// A JSON object's members by name, read with `WSBridgeJSON`'s scanner: what ``JWKSet`` reads a
/// JWKS file with.
///
/// It points into the caller's bytes, so it lives only inside the caller's `withUnsafeBytes` body
/// (it is not `Sendable` and never stored). Of a member name given twice the last value counts, as
/// RFC 7517 §4 allows a JWK parser to do.
struct JSONObjectView {
    private let bytes: UnsafeRawBufferPointer
    private let members: [String: JSONMember]

    /// Scans `bytes` as exactly one JSON object, whitespace around it allowed.
    init(_ bytes: UnsafeRawBufferPointer) throws(JSONScanError) {
        self.bytes = bytes
        let scanned = try JSONScanner.scanObject(bytes)
        self.members = Dictionary(scanned.map { ($0.key, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The member's value if it is a string; nil if it is absent or of another type.
    func string(_ name: String) -> String? {
        guard let member = self.members[name], member.kind == .string else { return nil }
        return try? JSONScanner.decodeString(self.bytes, member.value)
    }

    /// The member's elements if it is an array; nil if it is absent or of another type.
    func array(_ name: String) -> [JSONElement]? {
        guard let member = self.members[name], member.kind == .array else { return nil }
        return try? JSONScanner.scanArray(self.bytes, member.value)
    }

    /// An element of one of this object's arrays, if it is an object.
    func object(_ element: JSONElement) -> JSONObjectView? {
        guard element.kind == .object else { return nil }
        return try? JSONObjectView(UnsafeRawBufferPointer(rebasing: self.bytes[element.value]))
    }

    /// `bytes` without a leading UTF-8 byte order mark, which some editors write.
    static func skippingByteOrderMark(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard bytes.starts(with: [0xEF, 0xBB, 0xBF]) else { return bytes }
        return UnsafeRawBufferPointer(rebasing: bytes[3...])
    }

    /// Whether the first byte after any JSON whitespace opens an array.
    static func startsWithArray(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.first { ![0x20, 0x0A, 0x0D, 0x09].contains($0) } == UInt8(ascii: "[")
    }
}
