/// A JWS in compact serialization, split but not yet decoded (RFC 7515 §7.1):
///
/// ```
///  BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)
///  └──────────── signing input ────────────┘
/// ```
///
/// The segments are views into the caller's token: splitting copies nothing.
struct CompactJWS {
    typealias Segment = Substring.UTF8View

    /// `header.payload`, exactly as sent: what the signature covers.
    let signingInput: Segment
    let header: Segment
    let payload: Segment
    let signature: Segment

    /// Splits `token` at its two dots, or returns `nil` unless it has exactly three segments.
    init?(_ token: Substring) {
        let utf8 = token.utf8
        guard let firstDot = utf8.firstIndex(of: UInt8(ascii: ".")) else { return nil }
        let afterFirst = utf8.index(after: firstDot)
        guard let secondDot = utf8[afterFirst...].firstIndex(of: UInt8(ascii: ".")) else { return nil }
        let afterSecond = utf8.index(after: secondDot)
        guard !utf8[afterSecond...].contains(UInt8(ascii: ".")) else { return nil }
        self.signingInput = utf8[..<secondDot]
        self.header = utf8[..<firstDot]
        self.payload = utf8[afterFirst..<secondDot]
        self.signature = utf8[afterSecond...]
    }

    /// Calls `body` with the signing input as raw bytes, without copying when the token's storage
    /// is contiguous (always, for native Swift strings).
    func withSigningInput<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if let result = signingInput.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(signingInput).withUnsafeBytes(body)
    }
}
